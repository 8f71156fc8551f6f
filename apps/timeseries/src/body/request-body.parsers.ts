import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseJsonBody } from '@iotwins/http';

/** InfluxQL statements are short; a form larger than this is not a query. */
const MAX_FORM_BYTES = 1024 * 1024;

type Done = (error: Error | null, value?: unknown) => void;

/**
 * Request bodies as InfluxDB clients send them to /query: an HTML form (`q=...&db=...`), which
 * Fastify does not read, arriving as a plain object of its values as a query string would; and
 * an empty body labelled application/json (the Python v1 client's POSTs), which Fastify would
 * refuse, read as no body. Other JSON goes to libs/http parseJsonBody, as in every app.
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
        // Otherwise the parser every app uses (depth limit, no prototype poisoning).
        try {
          done(null, parseJsonBody(body));
        } catch (error) {
          done(error as Error);
        }
      },
    );
  }
}
