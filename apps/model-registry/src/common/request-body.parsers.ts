import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ProblemException } from '@iotwins/http';

/** Routes whose body is streamed by the handler as it arrives (version uploads). */
export const STREAMED_BODY_ROUTES = new Set([
  '/v1/models/:model/versions',
  '/api/2.0/mlflow-artifacts/artifacts/*',
]);

const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * A version upload may be gigabytes, so body parsing is decided per route: upload routes get
 * the raw stream, every other route JSON only (at most 1 MiB).
 */
@Injectable()
export class RequestBodyParsers implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', (request, payload, done) => {
      if (STREAMED_BODY_ROUTES.has(request.routeOptions.url ?? '')) {
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
  if (text.trim() === '') return undefined;
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    throw ProblemException.of(
      400,
      'invalid-json',
      `The body is not valid JSON: ${(error as Error).message}`,
    );
  }
}
