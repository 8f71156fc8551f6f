import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '@iotwins/observability';

/** What an operator watches on the observation path: volume, lag to evaluation, commits. */
@Injectable()
export class ObservationsMetrics {
  readonly messages: Counter;
  readonly evaluationDelay: Histogram;
  readonly commitSeconds: Histogram;
  readonly deadLetters: Counter;
  readonly deadLettersLost: Counter;
  readonly isolations: Counter;
  readonly duplicates: Counter<'kind'>;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.messages = new Counter({
      name: 'retrainer_observation_messages_total',
      help: 'OBSERVATIONS messages evaluated and committed',
      registers,
    });
    this.evaluationDelay = new Histogram({
      name: 'retrainer_evaluation_delay_seconds',
      help: 'From JetStream storing an observation message to its evaluation being committed',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'retrainer_commit_duration_seconds',
      help: 'Duration of one commit of evaluation state to PostgreSQL',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'retrainer_observation_dead_letters_total',
      help: 'OBSERVATIONS messages refused and dead-lettered (invalid, unsafe text, refused by PostgreSQL)',
      registers,
    });
    this.deadLettersLost = new Counter({
      name: 'retrainer_observation_dead_letters_lost_total',
      help: 'Refused OBSERVATIONS messages whose dead letter could not be stored (dropped)',
      registers,
    });
    this.isolations = new Counter({
      name: 'retrainer_commit_isolations_total',
      help: 'Commits PostgreSQL refused for a row’s contents, redone message by message',
      registers,
    });
    this.duplicates = new Counter({
      name: 'retrainer_duplicate_observations_total',
      help: 'Predictions or actuals ignored: their key already waited or was paired within the TTL',
      labelNames: ['kind'],
      registers,
    });
  }
}
