import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import type { AuthorizationRequest, ConnectOpts, KeyPair } from '@nats-io/jwt';
import { decodeJwt } from 'jose';
import { Counter, Histogram } from 'prom-client';
import { ClientSecretExchange, InvalidTokenError, TokenVerifier, type Caller } from '@iotwins/auth';
import { APP_CONFIG } from '@iotwins/config';
import { NatsClient, isSubjectToken, tenantAccountName } from '@iotwins/messaging';
import { MetricsRegistry } from '@iotwins/observability';
import type { IngestConfig } from '../app.config';
import { TenantConnectRate } from './connect-rate';
import { decodeNatsJwt, encodeAuthorizationResponseJwt, encodeUserJwt } from './native-jwt';
import { nativeKeyPair } from './native-key-pair';
import { tenantPermissions } from './tenant-permissions';

/** Where nats-server asks the auth service (in the callout account, PLATFORM). */
const AUTH_CALLOUT_SUBJECT = '$SYS.REQ.USER.AUTH';

interface Identity {
  caller: Caller;
  /** Seconds since the epoch after which the NATS user must authenticate again. */
  expiresAt: number;
}

/**
 * NATS auth callout: nats-server sends every CONNECT that is not a service login here. The
 * client presents a Keycloak access token (`token`) or a Keycloak client id and secret
 * (`user` and `password`, exchanged like /write does); a verified identity gets a user JWT,
 * signed with the callout issuer key, holding the permissions of its own tenant only and
 * placing it in its tenant's account TENANT_<tenant> (decision 0012). Any failure answers
 * with an error, and the server refuses the connection. A tenant over its CONNECT rate is
 * refused at once; its connection, subscription and storage limits are its account's.
 */
@Injectable()
export class NatsAuthCallout implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(NatsAuthCallout.name);
  private readonly verdicts: Counter<'outcome'>;
  private readonly latency: Histogram<'outcome'>;
  private readonly rate: TenantConnectRate;
  private subscription: Subscription | undefined;
  private issuer: KeyPair | undefined;

  constructor(
    private readonly nats: NatsClient,
    private readonly verifier: TokenVerifier,
    private readonly exchange: ClientSecretExchange,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
    metrics: MetricsRegistry,
  ) {
    this.verdicts = new Counter({
      name: 'ingest_nats_auth_callouts_total',
      help: 'NATS auth callout verdicts (authorized, refused, over-rate, failed)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
    this.latency = new Histogram({
      name: 'ingest_nats_auth_callout_seconds',
      help: 'Time from a callout request to its answer (nats-server waits auth_timeout, 2 s)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2],
      registers: [metrics.registry],
    });
    this.rate = new TenantConnectRate(
      config.NATS_TENANT_CONNECT_RATE,
      config.NATS_TENANT_CONNECT_BURST,
    );
  }

  onApplicationBootstrap(): void {
    const seed = this.config.NATS_AUTH_CALLOUT_ISSUER_SEED;
    if (!seed) return; // this replica does not answer callouts
    this.issuer = nativeKeyPair(seed);
    this.subscription = this.nats.nc.subscribe(AUTH_CALLOUT_SUBJECT, {
      queue: 'ingest-auth-callout',
      callback: (_error, message) => void this.answer(message),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.drain();
  }

  private async answer(message: Msg): Promise<void> {
    const started = performance.now();
    let request: AuthorizationRequest;
    try {
      request = decodeNatsJwt<{ nats: AuthorizationRequest }>(message.string()).nats;
    } catch {
      this.verdicts.inc({ outcome: 'failed' });
      return; // not a request from the server; it times out whoever sent it
    }
    const userKey = request.user_nkey;
    const serverId = request.server_id.id;
    let verdict: { jwt?: string; error?: string };
    let outcome: 'authorized' | 'refused' | 'over-rate' | 'failed' | undefined;
    try {
      const { caller, expiresAt } = await this.identify(request.connect_opts);
      // Permissions are built from the tenant name: it must be exactly one subject token.
      if (!isSubjectToken(caller.tenant))
        throw new InvalidTokenError(`tenant "${caller.tenant}" cannot be used on NATS`);
      if (!this.rate.take(caller.tenant)) {
        outcome = 'over-rate';
        throw new InvalidTokenError(
          `tenant "${caller.tenant}" is over its NATS login rate (${this.config.NATS_TENANT_CONNECT_RATE} per second); retry later`,
        );
      }
      const jwt = encodeUserJwt(
        `${caller.tenant}/${caller.clientId ?? caller.subject}`,
        userKey,
        this.issuer!,
        tenantPermissions(caller),
        // The tenant's own account (scripts/nats-tenant-accounts.sh); nats-server refuses the
        // login if it has none, or if the account is at its connection limit.
        { aud: tenantAccountName(caller.tenant), exp: expiresAt },
      );
      verdict = { jwt };
      outcome = 'authorized';
    } catch (error) {
      const refused = error instanceof InvalidTokenError;
      verdict = {
        error: refused ? (error as Error).message : 'the identity provider could not be reached',
      };
      outcome ??= refused ? 'refused' : 'failed';
      if (!refused) this.logger.warn({ err: (error as Error).message }, 'NATS auth callout failed');
    }
    message.respond(encodeAuthorizationResponseJwt(userKey, serverId, this.issuer!, verdict));
    this.verdicts.inc({ outcome: outcome ?? 'failed' });
    this.latency.observe({ outcome: outcome ?? 'failed' }, (performance.now() - started) / 1000);
  }

  private async identify(options: ConnectOpts): Promise<Identity> {
    const now = Math.floor(Date.now() / 1000);
    const longest = now + this.config.NATS_TENANT_USER_TTL_SECONDS;
    if (options.auth_token) {
      const caller = await this.verifier.verify(options.auth_token);
      // The NATS user lives no longer than the token it was issued for.
      const tokenExpiry = decodeJwt(options.auth_token).exp ?? now;
      return { caller, expiresAt: Math.min(tokenExpiry, longest) };
    }
    if (options.user && options.pass) {
      // Client id and secret: each (re)connect exchanges them anew, so the user may live long.
      const token = await this.exchange.exchange(options.user, options.pass);
      return { caller: await this.verifier.verify(token), expiresAt: longest };
    }
    throw new InvalidTokenError(
      'present a Keycloak access token (token) or a client id and secret (user, password)',
    );
  }
}
