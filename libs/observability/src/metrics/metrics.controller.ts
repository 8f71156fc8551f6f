import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { MetricsRegistry } from './metrics.registry';
import { PUBLIC_ROUTE } from '../public-route';

export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

/**
 * Prometheus metrics. They carry tenant labels (dead letters, points per tenant), so when a
 * METRICS_TOKEN is configured a scrape must present it as a bearer token; without one the
 * route is open, for a loopback or a network only the scraper reaches (docs/security.md).
 * The token is not a Keycloak token: Prometheus scrapes with a static bearer.
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly token: Buffer | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    @Inject(METRICS_TOKEN) token: string | undefined,
  ) {
    this.token = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  }

  @Get()
  @PUBLIC_ROUTE()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (this.token !== undefined) {
      const given = Buffer.from(authorization ?? '');
      if (given.length !== this.token.length || !timingSafeEqual(given, this.token))
        throw new UnauthorizedException('Metrics need the configured bearer token (METRICS_TOKEN)');
    }
    return this.metrics.registry.metrics();
  }
}
