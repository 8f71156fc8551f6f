import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  ProblemException,
  ProblemItem,
  defaultProblem,
} from './problem-details';

/** Fastify's own errors (body parsing, size limits) carry a status code and a code. */
interface FrameworkError {
  statusCode?: number;
  code?: string;
  message: string;
}

/**
 * Turns every error into RFC 9457 problem details. A 5xx is logged with the request id and
 * the caller sees only that id, never the internal message.
 */
/**
 * Extension members (RFC 9457 §3.2) an app adds to the problems of some of its routes, e.g.
 * InfluxDB's `error` on an InfluxDB-compatible route, whose clients read only that member.
 */
export type ProblemMembers = (
  path: string,
  problem: ProblemDetails,
) => Record<string, unknown> | undefined;

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly members?: ProblemMembers) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem, headers } = toProblem(error);
    problem.instance ??= request.url.split('?')[0];
    problem.requestId = requestIdOf(request);
    Object.assign(problem, this.members?.(problem.instance, problem));
    // Unexpected errors are logged with their stack; a deliberate 5xx (a dependency down)
    // was already logged where it was decided.
    if (problem.status >= 500 && !(error instanceof HttpException)) {
      this.logger.error({ err: error, requestId: problem.requestId }, 'request failed');
    }
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  }
}

export function requestIdOf(request: FastifyRequest): string {
  const raw = request.raw as FastifyRequest['raw'] & { id?: unknown };
  return typeof raw.id === 'string' ? raw.id : String(request.id);
}

export function toProblem(error: unknown): {
  problem: ProblemDetails;
  headers: Record<string, string>;
} {
  if (error instanceof ProblemException) {
    return { problem: { ...error.problem }, headers: error.headers };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const problem: ProblemDetails = { ...defaultProblem(status) };
    if (typeof body === 'string') {
      problem.detail = body;
    } else if (typeof body === 'object' && body !== null) {
      const message = (body as { message?: unknown }).message;
      if (Array.isArray(message)) {
        // ValidationPipe lists one message per invalid property.
        problem.type = defaultProblem(400).type.replace('bad-request', 'validation-failed');
        problem.title = 'Request validation failed';
        problem.detail = `${message.length} invalid value${message.length === 1 ? '' : 's'}`;
        problem.errors = message.map((text): ProblemItem => ({ detail: String(text) }));
      } else if (typeof message === 'string') {
        problem.detail = message;
      }
    }
    if (status >= 500) problem.detail = undefined;
    return { problem, headers: {} };
  }
  const framework = error as FrameworkError;
  if (
    typeof framework?.statusCode === 'number' &&
    framework.statusCode >= 400 &&
    framework.statusCode < 500
  ) {
    return {
      problem: { ...defaultProblem(framework.statusCode), detail: framework.message },
      headers: {},
    };
  }
  return {
    problem: { ...defaultProblem(500), detail: 'See the server log for this request id' },
    headers: {},
  };
}
