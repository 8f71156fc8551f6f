import type { NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';

/**
 * Leases of the ingest instances' clock slots (see ServerClock in libs/telemetry): a key per
 * slot, held by one instance, kept alive by updates and gone after LEASE_TTL_MS without one.
 * Renaming the bucket needs a migration (two versions would hand out the same slots).
 */
export const INSTANCE_SLOTS_BUCKET = 'ingest_instance_slots';
const LEASE_TTL_MS = 60_000;
/** Renewed three times per TTL, so one missed renewal does not lose the slot. */
export const INSTANCE_SLOT_RENEW_MS = LEASE_TTL_MS / 3;

/** Operator step (provisionNats): creates the KV bucket if it is missing. */
export async function ensureInstanceSlotsKv(nc: NatsConnection, replicas: number): Promise<void> {
  await new Kvm(nc).create(INSTANCE_SLOTS_BUCKET, {
    history: 1,
    ttl: LEASE_TTL_MS,
    replicas,
    description: 'Clock slots of the ingest instances (leases)',
  });
}

/** One slot held by this process: renew it periodically; `lost` tells when another took it. */
export class InstanceSlotLease {
  private revision: number;
  private constructor(
    private readonly kv: KV,
    readonly slot: number,
    revision: number,
    private readonly holder: string,
  ) {
    this.revision = revision;
  }

  /**
   * Takes a free slot among `slots`, trying them from a random start; a key is created only
   * when absent (or expired), so two instances never take the same one.
   */
  static async acquire(
    nc: NatsConnection,
    slots: number,
    holder: string,
  ): Promise<InstanceSlotLease> {
    // Opened, not created: the operator's provisioning step made it (ensureInstanceSlotsKv).
    const kv = await new Kvm(nc).open(INSTANCE_SLOTS_BUCKET);
    const start = Math.floor(Math.random() * slots);
    for (let i = 0; i < slots; i++) {
      const slot = (start + i) % slots;
      try {
        const revision = await kv.create(`slot.${slot}`, holder);
        return new InstanceSlotLease(kv, slot, revision, holder);
      } catch (error) {
        if (!/wrong last sequence|10071/i.test((error as Error).message)) throw error;
      }
    }
    throw new Error(`all ${slots} instance slots are taken`);
  }

  /** Renews the lease; false when it was lost (expired and taken by another instance). */
  async renew(): Promise<boolean> {
    try {
      this.revision = await this.kv.update(`slot.${this.slot}`, this.holder, this.revision);
      return true;
    } catch (error) {
      if (/wrong last sequence|10071/i.test((error as Error).message)) return false;
      throw error;
    }
  }

  async release(): Promise<void> {
    await this.kv
      .delete(`slot.${this.slot}`, { previousSeq: this.revision })
      .catch(() => undefined);
  }
}
