import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJsonBody } from './json-body';
import { ProblemException } from './problem-details';

/** JSON bodies beside uploads are small: ACLs, copy, presign and metadata requests. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Body parsing of an app with upload routes: an upload may be gigabytes of any content type,
 * JSON included, so parsing is decided per route. The routes named get the raw stream, to be
 * consumed by their handler as it arrives; every other route takes JSON only (at most
 * `JSON_BODY_LIMIT` bytes, through the one JSON parser of every app, an empty body being no
 * body). `streamedRoutes` are Fastify route patterns, e.g. `/v1/buckets/:bucket/objects/*`.
 */
export function StreamedOrJsonBodyParsers(streamedRoutes: readonly string[]): Type<OnModuleInit> {
  const streamed = new Set(streamedRoutes);

  @Injectable()
  class Parsers implements OnModuleInit {
    constructor(private readonly adapterHost: HttpAdapterHost) {}

    onModuleInit(): void {
      const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser('*', (request, payload, done) => {
        if (streamed.has(request.routeOptions.url ?? '')) {
          done(null, payload);
          return;
        }
        readJson(request, payload).then(
          (body) => done(null, body),
          (error: Error) => done(error),
        );
      });
    }
  }
  return Parsers;
}

async function readJson(request: FastifyRequest, payload: AsyncIterable<Buffer>): Promise<unknown> {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/json') {
    throw ProblemException.of(415, 'unsupported-media-type', 'This route takes application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += chunk.length;
    if (size > JSON_BODY_LIMIT)
      throw ProblemException.of(
        413,
        'payload-too-large',
        `JSON bodies are at most ${JSON_BODY_LIMIT} bytes`,
      );
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : parseJsonBody(text);
}
