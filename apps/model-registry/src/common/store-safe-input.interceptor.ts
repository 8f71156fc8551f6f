import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { invalidInput, pointerOf, storeUnsafeStrings } from '@iotwins/http';

/** Of a bad request, at most this many fields are named. */
const MAX_NAMED_FIELDS = 20;

/**
 * Refuses, with a 400 naming each field, any text of a request the metadata store would
 * refuse: FerretDB (on PostgreSQL) answers a NUL anywhere in a document or filter with error
 * 22P05, which reached callers as a 500, and a lone surrogate has no UTF-8 form. Path
 * parameters, the query and a JSON body are checked before any handler runs, so the REST and
 * the MLflow routes refuse the same text the same way (the MLflow filter renders the problem
 * in MLflow's shape). Streamed bodies (uploads) are the handlers' own business.
 */
@Injectable()
export class StoreSafeInputInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const request = context
        .switchToHttp()
        .getRequest<{ params?: unknown; query?: unknown; body?: unknown }>();
      const found = storeUnsafeStrings(request.params ?? {}, ['params'], [], MAX_NAMED_FIELDS);
      storeUnsafeStrings(request.query ?? {}, ['query'], found, MAX_NAMED_FIELDS);
      if (isParsedJson(request.body))
        storeUnsafeStrings(request.body, ['body'], found, MAX_NAMED_FIELDS);
      if (found.length > 0)
        throw invalidInput(
          'request',
          found.map((item) => ({ pointer: pointerOf(item.path), detail: item.reason })),
          'invalid-text',
        );
    }
    return next.handle();
  }
}

/** A body the JSON parser made (not an upload's stream, which is read by its handler). */
function isParsedJson(body: unknown): boolean {
  if (body === null || body === undefined) return false;
  if (typeof body !== 'object') return typeof body === 'string';
  if (Array.isArray(body)) return true;
  const prototype = Object.getPrototypeOf(body) as unknown;
  return prototype === Object.prototype || prototype === null;
}
