import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { PUBLIC_ROUTE } from '@iotwins/observability';
import { ProblemException } from '@iotwins/http';
import type { Caller, Role } from './caller';
import { assertTenantAccess } from './tenant-access';

export const REQUIRED_ROLES = 'iotwins:required-roles';
export const ACCEPTS_CLIENT_SECRET = 'iotwins:accepts-client-secret';

/**
 * Lets a route also accept a Keycloak client id and secret (HTTP Basic, `Token id:secret`
 * or v1 `u`/`p` parameters), for InfluxDB-compatible clients that cannot fetch tokens.
 */
export const AcceptClientSecret = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCEPTS_CLIENT_SECRET, true);

/** The request property where the guard leaves the verified caller. */
export const CALLER_KEY = 'caller';

/** Marks a route or controller as open to callers without a token. */
export const Public = PUBLIC_ROUTE;

/** The roles a route needs; the caller must hold every one (platform admins hold all). */
export const RequireRoles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_ROLES, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, expired or invalid bearer token' }),
    ApiForbiddenResponse({ description: `Requires role(s): ${roles.join(', ')}` }),
  );

/** Injects the verified caller of the request. */
export const CurrentCaller = createParamDecorator(
  (_: unknown, context: ExecutionContext): Caller => {
    const request = context.switchToHttp().getRequest<Record<string, unknown>>();
    const caller = request[CALLER_KEY] as Caller | undefined;
    if (!caller) throw new Error('CurrentCaller used on a route without authentication');
    return caller;
  },
);

/**
 * The tenant a request acts on: the caller's own, or the one named by `?tenant=`, which only
 * a platform admin may name when it is not the caller's (403 otherwise).
 */
export const ActingTenant = createParamDecorator(
  (_: unknown, context: ExecutionContext): string => {
    const request = context
      .switchToHttp()
      .getRequest<{ query?: Record<string, unknown> } & Record<string, unknown>>();
    const caller = request[CALLER_KEY] as Caller | undefined;
    if (!caller) throw new Error('ActingTenant used on a route without authentication');
    const named = request.query?.tenant;
    if (named === undefined) return caller.tenant;
    if (typeof named !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(named)) {
      throw ProblemException.of(400, 'invalid-tenant', 'tenant must be one tenant name');
    }
    assertTenantAccess(caller, named);
    return named;
  },
);
