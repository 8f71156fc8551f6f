import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** InfluxQL statements are short; a form larger than this is not a query. */
const MAX_FORM_BYTES = 1024 * 1024;

/**
 * InfluxDB clients POST /query as an HTML form (`q=...&db=...`); Fastify reads JSON and text
 * only. The form arrives as a plain object of its (last) values, as a query string would.
 */
@Injectable()
export class FormBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    if (fastify.hasContentTypeParser('application/x-www-form-urlencoded')) return;
    fastify.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (_request: FastifyRequest, body: string, done: (e: Error | null, v?: unknown) => void) =>
        done(null, Object.fromEntries(new URLSearchParams(body))),
    );
  }
}
