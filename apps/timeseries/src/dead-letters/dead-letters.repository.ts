import { Injectable } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { DEAD_LETTER_STREAM, NatsClient, telemetryDeadLetterSubject } from '@iotwins/messaging';

/** The DEADLETTER stream, read and pruned one tenant's subject at a time. */
@Injectable()
export class DeadLettersRepository {
  private manager: Promise<JetStreamManager> | undefined;

  constructor(private readonly nats: NatsClient) {}

  /** Up to `limit` dead letters of the tenant with a stream sequence above `after`, oldest first. */
  async list(tenant: string, after: number, limit: number): Promise<StoredMsg[]> {
    const jsm = await this.jsm();
    const subject = telemetryDeadLetterSubject(tenant);
    const found: StoredMsg[] = [];
    let seq = after + 1;
    while (found.length < limit) {
      // STREAM.MSG.GET with next_by_subj: the first message of the subject at or after seq
      // (NATS 2.9+); nats.js types the request narrower than the server takes it.
      const message = await jsm.streams.getMessage(DEAD_LETTER_STREAM, {
        seq,
        next_by_subj: subject,
      } as unknown as { seq: number });
      if (!message) break;
      found.push(message);
      seq = message.seq + 1;
    }
    return found;
  }

  /** One dead letter of the tenant, or undefined when there is none with that id. */
  async get(tenant: string, seq: number): Promise<StoredMsg | undefined> {
    const message = await (await this.jsm()).streams.getMessage(DEAD_LETTER_STREAM, { seq });
    return message && message.subject === telemetryDeadLetterSubject(tenant) ? message : undefined;
  }

  async delete(seq: number): Promise<void> {
    await (await this.jsm()).streams.deleteMessage(DEAD_LETTER_STREAM, seq, false);
  }

  private jsm(): Promise<JetStreamManager> {
    this.manager ??= jetstreamManager(this.nats.nc);
    return this.manager;
  }
}
