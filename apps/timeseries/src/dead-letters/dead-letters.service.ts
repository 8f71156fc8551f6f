import { Injectable } from '@nestjs/common';
import type { StoredMsg } from '@nats-io/jetstream';
import { ProblemException } from '@iotwins/http';
import { DeadLetterHeader, TelemetryHeader } from '@iotwins/messaging';
import { InfluxClient, InfluxReadiness } from '../influx/influx.client';
import { TenantDatabases } from '../tenants/tenant-databases';
import { classifyWrite } from '../writer/write-outcome';
import { DeadLettersRepository } from './dead-letters.repository';
import type { DeadLetterDto, DeadLetterListDto, ReplayResultDto } from './dead-letters.dto';

/** A tenant's dead letters: what InfluxDB refused after the 2xx, listed and replayed. */
@Injectable()
export class DeadLettersService {
  constructor(
    private readonly repository: DeadLettersRepository,
    private readonly databases: TenantDatabases,
    private readonly influx: InfluxClient,
    private readonly readiness: InfluxReadiness,
  ) {}

  async list(tenant: string, after: number, limit: number): Promise<DeadLetterListDto> {
    // One more than asked tells whether a next page exists.
    const found = await fromJetStream(() => this.repository.list(tenant, after, limit + 1));
    const page = found.slice(0, limit).map(toDto);
    return found.length > limit
      ? { deadLetters: page, next: page.at(-1)!.id }
      : { deadLetters: page };
  }

  /**
   * Writes a dead letter's lines to InfluxDB again (after the cause was fixed, e.g. the
   * conflicting field dropped) and removes it once stored. Refused again, it stays.
   */
  async replay(tenant: string, id: number): Promise<ReplayResultDto> {
    const message = await fromJetStream(() => this.repository.get(tenant, id));
    if (!message)
      throw ProblemException.of(
        404,
        'dead-letter-not-found',
        `No dead letter ${id} of your tenant`,
      );
    if (message.header?.get(DeadLetterHeader.Truncated) === 'true')
      throw ProblemException.of(
        422,
        'dead-letter-truncated',
        `Dead letter ${id} holds only the first ${message.data.length} of ${
          message.header.get(DeadLetterHeader.OriginalSize) || 'its'
        } bytes (the original did not fit in one NATS message with its reason), so it cannot be replayed; send the data again from its source`,
        { id },
      );
    let outcome;
    try {
      const database = await this.databases.ensure(tenant);
      const { status, error } = await this.influx.write(database, [message.data]);
      outcome = classifyWrite(status, error);
    } catch (error) {
      outcome = { kind: 'transient' as const, reason: (error as Error).message };
    }
    switch (outcome.kind) {
      case 'written':
        await fromJetStream(() => this.repository.delete(id));
        return { id, points: pointsOf(message) };
      case 'rejected':
        throw ProblemException.of(422, 'replay-refused', outcome.reason, { id });
      case 'missing-database':
      case 'transient': {
        const answers = await this.readiness.probe().then(
          () => true,
          () => false,
        );
        throw ProblemException.of(
          503,
          answers ? 'influxdb-failed' : 'influxdb-unavailable',
          'The time-series store did not take the lines; the dead letter is kept, try again later',
          {},
          { 'Retry-After': '5' },
        );
      }
    }
  }
}

/** JetStream not answering (NATS down, reconnecting) is an outage: 503, try again. */
async function fromJetStream<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof ProblemException) throw error;
    throw ProblemException.of(
      503,
      'jetstream-unavailable',
      'The dead-letter stream does not answer; try again later',
      {},
      { 'Retry-After': '2' },
    );
  }
}

function pointsOf(message: StoredMsg): number {
  const points = Number(message.header?.get(TelemetryHeader.Points));
  return Number.isFinite(points) && points > 0 ? points : message.string().split('\n').length;
}

function toDto(message: StoredMsg): DeadLetterDto {
  const source = message.header?.get(TelemetryHeader.Source);
  const truncated = message.header?.get(DeadLetterHeader.Truncated) === 'true';
  const originalSize = Number(message.header?.get(DeadLetterHeader.OriginalSize));
  return {
    id: message.seq,
    ...(truncated
      ? {
          truncated: true,
          ...(Number.isFinite(originalSize) ? { originalBytes: originalSize } : {}),
        }
      : {}),
    reason: message.header?.get(TelemetryHeader.DeadLetterReason) || 'unknown',
    lines: message.string().split('\n'),
    points: pointsOf(message),
    ...(source ? { source } : {}),
    time: message.time.toISOString(),
  };
}
