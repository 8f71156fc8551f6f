import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * The object key: the wildcard rest of the path, decoded. Read from the route's "*" parameter
 * directly, so the OpenAPI document names it once, as {path}.
 */
export const ObjectKey = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const params = context.switchToHttp().getRequest<{ params?: Record<string, string> }>().params;
  return params?.['*'] ?? '';
});
