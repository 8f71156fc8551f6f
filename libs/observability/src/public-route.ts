import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key that marks a route as reachable without a token (health, metrics, docs).
 * It lives here, not in the auth lib, because observability routes must be public in every
 * app and this lib must not depend on auth.
 */
export const IS_PUBLIC_ROUTE = 'iotwins:public-route';

export const PUBLIC_ROUTE = (): MethodDecorator & ClassDecorator =>
  SetMetadata(IS_PUBLIC_ROUTE, true);
