import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@iotwins/observability';

/** The version in the app's package.json, for build_info. */
function appVersion(): string {
  try {
    const file = resolve(__dirname, '../../package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What operators watch on ingest: points by tenant and outcome, and JetStream's answers. */
@Injectable()
export class IngestMetrics {
  /** Points accepted (reason: the path) or refused (reason: why), per tenant. */
  readonly points: Counter<'tenant' | 'outcome' | 'reason'>;
  readonly publishSeconds: Histogram<'outcome'>;
  readonly publishFailures: Counter<'reason'>;
  readonly grpcCalls: Counter<'outcome'>;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.points = new Counter({
      name: 'ingest_points_total',
      help: 'Points accepted (reason = ingest path) or refused (reason = why), per tenant',
      labelNames: ['tenant', 'outcome', 'reason'],
      registers,
    });
    this.publishSeconds = new Histogram({
      name: 'ingest_jetstream_publish_seconds',
      help: 'Time from publishing a batch to JetStream storing all of it',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.publishFailures = new Counter({
      name: 'ingest_jetstream_publish_failures_total',
      help: 'Batches JetStream did not store, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.grpcCalls = new Counter({
      name: 'ingest_grpc_calls_total',
      help: 'gRPC Write calls, by outcome (ok or the gRPC status name)',
      labelNames: ['outcome'],
      registers,
    });
    new Gauge({
      name: 'build_info',
      help: 'The running build: always 1, with the version and Node.js release as labels',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: appVersion(), node: process.version }, 1);
  }
}
