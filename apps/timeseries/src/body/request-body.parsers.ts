import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ProblemException } from '@iotwins/http';

/** InfluxQL statements are short; a form larger than this is not a query. */
const MAX_FORM_BYTES = 1024 * 1024;

type Done = (error: Error | null, value?: unknown) => void;

/**
 * Request bodies as InfluxDB clients send them to /query: an HTML form (`q=...&db=...`), which
 * Fastify does not read, arriving as a plain object of its values as a query string would; and
 * an empty body labelled application/json (the Python v1 client's POSTs), which Fastify would
 * refuse, read as no body. Other JSON is parsed as Fastify does (no prototype poisoning).
 */
@Injectable()
export class RequestBodyParsers implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded']);
    fastify.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (_request: FastifyRequest, body: string, done: Done) =>
        done(null, Object.fromEntries(new URLSearchParams(body))),
    );
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      (_request: FastifyRequest, body: string, done: Done) => {
        if (body.trim() === '') return done(null, undefined);
        try {
          done(
            null,
            secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }),
          );
        } catch (error) {
          done(
            ProblemException.of(
              400,
              'invalid-json',
              `The body is not valid JSON: ${(error as Error).message}`,
            ),
          );
        }
      },
    );
  }
}
