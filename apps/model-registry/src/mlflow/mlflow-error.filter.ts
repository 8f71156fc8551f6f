import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ProblemException } from '@iotwins/http';

/** MLflow's error codes by HTTP status, as its REST API answers them. */
const ERROR_CODES: Record<number, string> = {
  400: 'INVALID_PARAMETER_VALUE',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  409: 'RESOURCE_ALREADY_EXISTS',
  413: 'INVALID_PARAMETER_VALUE',
  415: 'INVALID_PARAMETER_VALUE',
  501: 'NOT_IMPLEMENTED',
  503: 'TEMPORARILY_UNAVAILABLE',
};

/**
 * Errors of the MLflow-compatible routes in MLflow's own shape, `{error_code, message}`, so the
 * mlflow client raises its usual MlflowException with the right code.
 */
@Catch()
export class MlflowErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(MlflowErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = 500;
    let message = 'Internal error';
    let headers: Record<string, string> = {};
    if (exception instanceof ProblemException) {
      status = exception.problem.status;
      message = exception.problem.detail ?? exception.problem.title;
      headers = exception.headers;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      message = exception.message;
    } else {
      this.logger.error({ err: exception }, 'MLflow request failed');
    }
    void reply
      .status(status)
      .headers(headers)
      .header('content-type', 'application/json')
      .send({ error_code: ERROR_CODES[status] ?? 'INTERNAL_ERROR', message });
  }
}

export function notImplemented(what: string): ProblemException {
  return ProblemException.of(
    501,
    'mlflow-not-implemented',
    `${what} is not part of the MLflow subset this registry answers; see docs/model-registry.md`,
  );
}
