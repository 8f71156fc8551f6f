import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { backingOutage, outageProblem } from './backing-outage';

/**
 * Turns errors of a backing server that is away (MongoDB, S3, NATS) into 503 problem details
 * with Retry-After, instead of a bare 500: the caller did nothing wrong and may retry.
 */
@Injectable()
export class BackingOutageInterceptor implements NestInterceptor {
  private readonly logger = new Logger(BackingOutageInterceptor.name);

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const server = backingOutage(error);
        if (!server) return throwError(() => error);
        this.logger.warn({ server, err: (error as Error).message }, 'backing server unavailable');
        return throwError(() => outageProblem(server));
      }),
    );
  }
}
