import type { IncomingMessage } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { DynamicModule, INestApplication, Type, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { MetricsRegistry, REQUEST_ID_HEADER, requestIdFrom } from '@iotwins/observability';
import { Logger } from 'nestjs-pino';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  type ProblemMembers,
  defaultProblem,
  parseJsonBody,
} from '@iotwins/http';

export interface ServiceOptions {
  /** Name of the app, as in logs, metrics and the OpenAPI document. */
  appName: string;
  /** Extension members of the problems of some routes (see ProblemMembers). */
  problemMembers?: ProblemMembers;
  description: string;
  version?: string;
  /** Largest request body accepted, in bytes, before any parsing work. */
  bodyLimitBytes?: number;
  /**
   * @nestjs/microservices transports the app also serves (request-reply over NATS), started
   * with the app and closed with it. Given the validated config of the app.
   */
  // The config type is the app's own; any app config is a BaseEnv and more.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  microservices?: (config: any) => MicroserviceOptions[];
}

/**
 * Builds a service app the same way for production and tests: Fastify, JSON logs,
 * problem details for every error, OpenAPI under /docs, request metrics.
 */
export async function createServiceApp(
  module: Type<unknown> | DynamicModule,
  options: ServiceOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    // One request id for Fastify, the logs and the problem details: the caller's when safe.
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers[REQUEST_ID_HEADER]),
    // find-my-way's default of 100 would make a valid 128-character model name unreachable
    // by its path; the names' own schemas bound them more tightly.
    routerOptions: { maxParamLength: 1024 },
    // Errors raised by the router before any route runs (a path that is not valid
    // %-encoding, a parameter over maxParamLength) are problem details like every other.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply
        .code(status)
        .type(PROBLEM_CONTENT_TYPE)
        .send({
          ...defaultProblem(status),
          detail:
            error.code === 'FST_ERR_MAX_PARAM_LENGTH'
              ? 'A path segment is longer than 1024 characters'
              : 'The path is not valid percent-encoded UTF-8',
          instance: request.url.split('?')[0],
          requestId: request.id,
        });
    },
  });
  // One JSON parser for every app: hostile nesting and invalid JSON are 400s. Registered
  // here instead of by Nest (bodyParser: false below), before the modules start, so an app
  // with its own body parsers (ingest) may replace them.
  const fastify = adapter.getInstance();
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: options.bodyLimitBytes ?? 1024 * 1024 },
    (_request, body, done) => done(null, { ...parseQueryString(String(body)) }),
  );
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: options.bodyLimitBytes ?? 1024 * 1024 },
    (_request, body, done) => {
      try {
        done(null, parseJsonBody(String(body)));
      } catch (error) {
        done(error as Error);
      }
    },
  );
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter(options.problemMembers));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
    }),
  );
  app.enableShutdownHooks();
  echoRequestId(app);
  recordRequestMetrics(app);
  setUpDocs(app, options);
  return app;
}

function echoRequestId(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
    });
}

function recordRequestMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsRegistry);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      metrics.httpRequestDuration.observe(
        {
          method: request.method,
          // The route template, not the raw URL, keeps label cardinality bounded.
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
}

function setUpDocs(app: INestApplication, options: ServiceOptions): void {
  const config = new DocumentBuilder()
    .setTitle(`IoTwinS ${options.appName}`)
    .setDescription(options.description)
    .setVersion(options.version ?? '0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
