import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import type { IngestConfig } from '../../app.config';
import { expressionProblem, type ExpressionLimits } from './mapping-expression';
import { MappingPool } from './mapping-pool';

/** What evaluates tenants' JSONata: the sandbox in the app, a fake nowhere (specs use a real pool). */
export interface MappingEvaluator {
  /** See MappingPool.evaluate: each expression's value on the JSON text, in a worker. */
  evaluate(tenant: string, expressions: readonly string[], inputText: string): Promise<unknown[]>;
  /** Why an expression is refused before it runs (too long, too deep, not JSONata), or undefined. */
  problem(expression: string): string | undefined;
  /** Bytes of JSON text one evaluation takes at most. */
  readonly maxInputBytes: number;
}

export function expressionLimits(config: IngestConfig): ExpressionLimits {
  return {
    maxLength: config.CONNECTORS_MAPPING_MAX_LENGTH,
    maxDepth: config.CONNECTORS_MAPPING_MAX_DEPTH,
  };
}

/**
 * Ingest's one pool of mapping workers, for dry runs and running connectors alike, sized and
 * budgeted by the CONNECTORS_MAPPING_* settings (docs/configuration.md).
 */
@Injectable()
export class MappingSandbox implements MappingEvaluator, OnModuleInit, OnApplicationShutdown {
  private readonly pool: MappingPool;
  private readonly limits: ExpressionLimits;

  constructor(@Inject(APP_CONFIG) config: IngestConfig) {
    this.limits = expressionLimits(config);
    this.pool = new MappingPool({
      workers: config.CONNECTORS_MAPPING_WORKERS,
      tenantConcurrency: config.CONNECTORS_MAPPING_TENANT_WORKERS,
      tenantQueue: config.CONNECTORS_MAPPING_TENANT_QUEUE,
      timeoutMs: config.CONNECTORS_MAPPING_TIMEOUT_MS,
      heapMb: config.CONNECTORS_MAPPING_HEAP_MB,
      maxInputBytes: config.CONNECTORS_MAPPING_MAX_INPUT_BYTES,
      maxOutputBytes: config.CONNECTORS_MAPPING_MAX_OUTPUT_BYTES,
    });
  }

  onModuleInit(): void {
    this.pool.warm();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  get maxInputBytes(): number {
    return this.pool.options.maxInputBytes;
  }

  evaluate(tenant: string, expressions: readonly string[], inputText: string): Promise<unknown[]> {
    return this.pool.evaluate(tenant, expressions, inputText);
  }

  problem(expression: string): string | undefined {
    return expressionProblem(expression, this.limits);
  }
}
