import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_ROUTE } from '@iotwins/observability';
import { ProblemException } from '@iotwins/http';
import type { FastifyRequest } from 'fastify';
import { hasRole, type Caller } from './caller';
import { ACCEPTS_CLIENT_SECRET, CALLER_KEY, REQUIRED_ROLES } from './auth.decorators';
import { ClientSecretExchange, clientCredentialsFrom } from './client-secret.exchange';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

const REALM = 'iotwins';

/**
 * Applied to every route of every app: a route is closed unless marked public, a token is
 * verified before any handler runs, and the roles a route states are checked.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly exchange: ClientSecretExchange,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & Record<string, unknown>>();
    const acceptsSecret =
      this.reflector.getAllAndOverride<boolean>(ACCEPTS_CLIENT_SECRET, targets) ?? false;
    const caller = await this.authenticate(request, acceptsSecret);
    request[CALLER_KEY] = caller;
    // The logger's request serializer reads the tenant from the raw request.
    (request.raw as unknown as Record<string, unknown>).tenant = caller.tenant;

    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_ROLES, targets) ?? [];
    const missing = required.filter((role) => !hasRole(caller, role));
    if (missing.length > 0) {
      throw ProblemException.of(
        403,
        'missing-role',
        `This operation requires the role(s): ${missing.join(', ')}`,
        {
          requiredRoles: required,
        },
      );
    }
    return true;
  }

  private async authenticate(request: FastifyRequest, acceptsSecret: boolean): Promise<Caller> {
    const header = request.headers.authorization;
    if (acceptsSecret && !header?.startsWith('Bearer ')) {
      const credentials = clientCredentialsFrom(header, request.query as Record<string, unknown>);
      if (credentials) {
        return this.verified(() =>
          this.exchange.exchange(credentials.clientId, credentials.clientSecret),
        );
      }
    }
    if (header === undefined || header.length === 0) {
      throw ProblemException.of(
        401,
        'missing-token',
        'This operation needs a bearer access token',
        // InfluxDB clients (Telegraf, client libraries) log the `error` member of a 401.
        { error: 'unable to parse authentication credentials' },
        {
          'WWW-Authenticate': `Bearer realm="${REALM}"`,
        },
      );
    }
    const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header);
    if (!match) {
      throw invalidToken('the Authorization header is not of the form "Bearer <token>"');
    }
    return this.verified(async () => match[1]!);
  }

  private async verified(token: () => Promise<string>): Promise<Caller> {
    try {
      return await this.verifier.verify(await token());
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.reason);
      this.logger.error({ err: error }, 'token verification could not complete');
      throw ProblemException.of(
        503,
        'auth-unavailable',
        'Tokens cannot be verified right now; retry later',
        {},
        {
          'Retry-After': '5',
        },
      );
    }
  }
}

function invalidToken(reason: string): ProblemException {
  const description = reason.replace(/"/g, "'");
  return ProblemException.of(
    401,
    'invalid-token',
    reason,
    { error: `authorization failed: ${reason}` },
    {
      'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
    },
  );
}
