import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@iotwins/observability';

/** What an operator watches on the write path: lag, batch sizes, latency, dead letters. */
@Injectable()
export class WriterMetrics {
  readonly consumerLag: Gauge;
  readonly batchPoints: Histogram;
  readonly writeSeconds: Histogram;
  readonly pointsWritten: Counter;
  readonly deadLetters: Counter<'tenant'>;
  readonly deadLettersTruncated: Counter<'tenant'>;
  readonly deadLettersLost: Counter<'tenant'>;
  readonly influxAvailable: Gauge;
  readonly outages: Counter;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.consumerLag = new Gauge({
      name: 'timeseries_consumer_lag_messages',
      help: 'TELEMETRY messages not yet written to InfluxDB (pending + unacknowledged)',
      registers,
    });
    this.batchPoints = new Histogram({
      name: 'timeseries_write_batch_points',
      help: 'Points per write to InfluxDB',
      buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000],
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'timeseries_write_duration_seconds',
      help: 'Duration of writes to InfluxDB',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.pointsWritten = new Counter({
      name: 'timeseries_points_written_total',
      help: 'Points written to InfluxDB',
      registers,
    });
    this.deadLetters = new Counter({
      name: 'timeseries_dead_letters_total',
      help: 'Telemetry messages InfluxDB refused for good, sent to deadletter.telemetry.<tenant>',
      labelNames: ['tenant'],
      registers,
    });
    this.deadLettersTruncated = new Counter({
      name: 'timeseries_dead_letters_truncated_total',
      help: 'Dead letters stored as a truncated copy (the original did not fit with the dead-letter headers); not replayable',
      labelNames: ['tenant'],
      registers,
    });
    this.deadLettersLost = new Counter({
      name: 'timeseries_dead_letters_lost_total',
      help: 'Telemetry messages terminated because NATS refused their dead letter',
      labelNames: ['tenant'],
      registers,
    });
    this.influxAvailable = new Gauge({
      name: 'timeseries_influxdb_available',
      help: '1 while the writer reaches InfluxDB, 0 while it holds telemetry through an outage',
      registers,
    });
    this.influxAvailable.set(1);
    this.outages = new Counter({
      name: 'timeseries_influxdb_outages_total',
      help: 'InfluxDB outages the writer waited out (each retried its held batches when it ended)',
      registers,
    });
  }

  recordWrite(points: number, seconds: number): void {
    this.batchPoints.observe(points);
    this.writeSeconds.observe(seconds);
    this.pointsWritten.inc(points);
  }
}
