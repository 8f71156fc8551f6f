import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { PUBLIC_ROUTE } from '../public-route';
import {
  READINESS_CHECKS,
  READINESS_TIMEOUT_MS,
  ReadinessCheck,
  probeWithTimeout,
} from './readiness-check';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(READINESS_TIMEOUT_MS) private readonly timeoutMs: number,
  ) {}

  @Get('live')
  @PUBLIC_ROUTE()
  @ApiOperation({ summary: 'Liveness: the process runs and serves HTTP' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @PUBLIC_ROUTE()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: every backing service answers within the timeout' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check(
        this.checks.map((check) => async () => {
          const indicator = this.indicators.check(check.name);
          const started = performance.now();
          try {
            await probeWithTimeout(check, this.timeoutMs);
            const latencyMs = Math.round(performance.now() - started);
            return check.required === false
              ? indicator.up({ required: false, reachable: true, latencyMs })
              : indicator.up({ latencyMs });
          } catch (error) {
            const message = (error as Error).message;
            // An optional dependency's outage is told, not counted against readiness.
            if (check.required === false)
              return indicator.up({ required: false, reachable: false, message });
            return indicator.down({ message });
          }
        }),
      );
    } catch (error) {
      // Terminus reports "not ready" as an exception; readiness is an answer, not an error.
      if (error instanceof ServiceUnavailableException) {
        void reply.status(503);
        return error.getResponse() as HealthCheckResult;
      }
      throw error;
    }
  }
}
