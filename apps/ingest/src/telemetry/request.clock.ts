import { hostname } from 'node:os';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG } from '@iotwins/config';
import { INSTANCE_SLOT_RENEW_MS, InstanceSlotLease, NatsClient } from '@iotwins/messaging';
import { INSTANCE_SLOTS, ServerClock } from '@iotwins/telemetry';
import type { IngestConfig } from '../app.config';

/**
 * The time given to points of a request sent without one: a nanosecond stamp per request,
 * distinct for every request of every instance. The instance's slot (the stamps' last
 * digits) is INGEST_INSTANCE_SLOT when set, else a slot leased in NATS KV, so replicas
 * started anywhere never share one.
 */
@Injectable()
export class RequestClock implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestClock.name);
  private clock!: ServerClock;
  private lease: InstanceSlotLease | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nats: NatsClient,
    @Inject(APP_CONFIG) private readonly config: IngestConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.INGEST_INSTANCE_SLOT !== undefined) {
      this.clock = new ServerClock(this.config.INGEST_INSTANCE_SLOT);
      return;
    }
    await this.takeSlot();
    this.timer = setInterval(() => void this.renew(), INSTANCE_SLOT_RENEW_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.lease?.release();
  }

  /** The stamp of one request. */
  now(): bigint {
    return this.clock.next();
  }

  get slot(): number {
    return this.clock.instanceSlot;
  }

  private async takeSlot(): Promise<void> {
    this.lease = await InstanceSlotLease.acquire(
      this.nats.nc,
      INSTANCE_SLOTS,
      `${hostname()}:${process.pid}`,
    );
    this.clock = new ServerClock(this.lease.slot);
  }

  private async renew(): Promise<void> {
    try {
      if (await this.lease!.renew()) return;
      // The lease expired (NATS was out of reach too long) and another instance took it.
      this.logger.warn({ slot: this.lease!.slot }, 'clock slot lost; taking another');
      await this.takeSlot();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'clock slot not renewed; retrying');
    }
  }
}
