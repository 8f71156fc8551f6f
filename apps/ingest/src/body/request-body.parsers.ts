import { isUtf8 } from 'node:buffer';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { APP_CONFIG } from '@iotwins/config';
import { ProblemException, parseJsonBody } from '@iotwins/http';
import type { IngestConfig } from '../app.config';
import { utf8Text } from './utf8-text';

/**
 * Reads request bodies the way edge tooling sends them: JSON, line protocol or CSV, plain or
 * gzip/deflate compressed. The size limit applies to the compressed bytes as they arrive and
 * again to the inflated body, so a small compressed bomb cannot fill memory. JSON arrives
 * parsed; line protocol and CSV arrive as a Buffer of valid UTF-8, because line protocol is
 * validated and forwarded as bytes without ever being decoded.
 */
@Injectable()
export class RequestBodyParsers implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const limit = this.config.INGEST_MAX_BODY_BYTES;
    const parser =
      (interpret: (bytes: Buffer) => unknown) =>
      (
        request: FastifyRequest,
        body: Buffer,
        done: (error: Error | null, value?: unknown) => void,
      ): void => {
        try {
          done(null, interpret(decodeBody(request, body, limit)));
        } catch (error) {
          done(asProblem(error));
        }
      };
    const json = parser((bytes) => {
      if (!isUtf8(bytes))
        throw ProblemException.of(400, 'invalid-encoding', 'The body is not valid UTF-8');
      return parseJsonBody(utf8Text(bytes));
    });
    const text = parser((bytes) => bytes);
    // Line protocol is checked for UTF-8 line by line (a bad byte refuses only its line, as
    // in InfluxDB); CSV is decoded whole, so it must be valid UTF-8 whole.
    const textChecked = parser((bytes) => {
      if (!isUtf8(bytes))
        throw ProblemException.of(400, 'invalid-encoding', 'The body is not valid UTF-8');
      return bytes;
    });
    fastify.removeContentTypeParser([
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ]);
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limit }, json);
    // Line protocol and CSV arrive as text/plain, text/csv, octet-stream or with no type at
    // all, and as a form from curl --data-binary, as InfluxDB's own examples send it.
    fastify.addContentTypeParser(
      ['text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded'],
      { parseAs: 'buffer', bodyLimit: limit },
      text,
    );
    fastify.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: limit }, textChecked);
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, text);
    // InfluxDB's Go client (the influx CLI among its users) sends an empty Content-Type,
    // which Fastify refuses as invalid; without the header the body reaches the parser above.
    fastify.addHook('onRequest', (request, _reply, done) => {
      if (request.headers['content-type']?.trim() === '') delete request.headers['content-type'];
      done();
    });
  }
}

function decodeBody(request: FastifyRequest, body: Buffer, limit: number): Buffer {
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .toLowerCase()
    .trim();
  let bytes: Buffer;
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip')
      bytes = gunzipSync(body, { maxOutputLength: limit });
    else if (encoding === 'deflate') bytes = inflateSync(body, { maxOutputLength: limit });
    else if (encoding === 'identity' || encoding === '') bytes = body;
    else
      throw ProblemException.of(
        415,
        'unsupported-encoding',
        `Content-Encoding "${encoding}" is not supported; use gzip, deflate or none`,
      );
  } catch (error) {
    if (error instanceof ProblemException) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw ProblemException.of(
        413,
        'payload-too-large',
        `The decompressed body exceeds ${limit} bytes`,
      );
    }
    throw ProblemException.of(400, 'bad-compression', `The body is not valid ${encoding} data`);
  }
  return bytes;
}

function asProblem(error: unknown): Error {
  if (error instanceof ProblemException) return error;
  if (error instanceof SyntaxError) {
    return ProblemException.of(400, 'invalid-json', `The body is not valid JSON: ${error.message}`);
  }
  return error as Error;
}
