import { DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import { redactHeaders, redactUrl } from './secret-redaction';

export interface LoggingOptions {
  appName: string;
  level: string;
}

// Paths polled by orchestrators every few seconds; logging them would drown real traffic.
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/** Structured JSON logs, one line per event, with the request id, tenant and app name. */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.level,
            base: { app: options.appName },
            // Fastify has already given the request its id (see createServiceApp); reuse it.
            genReqId: (req: IncomingMessage) =>
              (req as IncomingMessage & { id?: string }).id ??
              requestIdFrom(req.headers[REQUEST_ID_HEADER]),
            customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
              error !== undefined || res.statusCode >= 500
                ? 'error'
                : res.statusCode >= 400
                  ? 'warn'
                  : 'info',
            customProps: (req: IncomingMessage) => {
              const tenant = (req as IncomingMessage & { tenant?: string }).tenant;
              return tenant === undefined ? {} : { tenant };
            },
            // Credentials never reach a log: the serializers below mask the query parameters
            // and headers that carry them (see secret-redaction.ts); these paths are a second
            // net for anything logged beside the request.
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers.cookie',
                'req.headers["x-api-key"]',
                'res.headers["set-cookie"]',
              ],
              censor: '[masked]',
            },
            autoLogging: {
              ignore: (req: IncomingMessage) =>
                QUIET_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
            },
            serializers: {
              req: (req: {
                id: string;
                method: string;
                url: string;
                headers: Record<string, unknown>;
              }) => ({
                id: req.id,
                method: req.method,
                url: redactUrl(req.url),
                headers: redactHeaders(req.headers),
              }),
              res: (res: { statusCode: number; headers?: Record<string, unknown> }) => ({
                statusCode: res.statusCode,
                headers: res.headers === undefined ? undefined : redactHeaders(res.headers),
              }),
            },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
