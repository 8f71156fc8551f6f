import { Injectable } from '@nestjs/common';
import { ProblemException } from '@iotwins/http';
import type { FieldTypeLookup, StoredFieldType } from '@iotwins/telemetry';
import { FieldTypesRepository } from './field-types.repository';

type Fields = Map<string, StoredFieldType>;

/** Measurements cached per process before the cache starts over (a bound on memory). */
const MAX_CACHED_MEASUREMENTS = 200_000;

/**
 * The field types of every tenant's measurements, as the ingest path checks them: a cache
 * per process in front of the shared bucket. A field's type never changes once stored, so a
 * cached type is never stale; a field the cache does not know is registered in the bucket
 * before the request is acknowledged, by create or compare-and-set, and when another request
 * (on any replica) registered another type first, the bucket's type wins and the request is
 * checked again against it.
 */
@Injectable()
export class FieldTypeRegistry {
  private readonly tenants = new Map<string, Map<string, Fields>>();
  private cached = 0;

  constructor(private readonly repository: FieldTypesRepository) {}

  /** What the cache knows of a tenant's fields; fields it does not know count as new. */
  lookup(tenant: string): FieldTypeLookup {
    const measurements = this.tenants.get(tenant);
    return {
      typeOf: (measurement, field) => measurements?.get(measurement)?.get(field),
    };
  }

  /**
   * Registers the fields a request introduced. True when the bucket took every one with the
   * type given; false when some field is stored with another type (the cache now holds it,
   * and a new check of the request refuses the lines that conflict).
   */
  async register(
    tenant: string,
    introduced: ReadonlyMap<string, ReadonlyMap<string, StoredFieldType>>,
  ): Promise<boolean> {
    if (introduced.size === 0) return true;
    let outcomes: boolean[];
    try {
      outcomes = await Promise.all(
        [...introduced].map(async ([measurement, fields]) => {
          const { stored, conflicts } = await this.repository.register(
            tenant,
            measurement,
            Object.fromEntries(fields),
          );
          this.remember(tenant, measurement, stored);
          return conflicts.length === 0;
        }),
      );
    } catch (error) {
      throw ProblemException.of(
        503,
        'telemetry-not-stored',
        `The platform could not check field types right now (${(error as Error).message}); retry later`,
        { error: 'field types cannot be checked right now' },
        { 'Retry-After': '2' },
      );
    }
    return outcomes.every(Boolean);
  }

  private remember(
    tenant: string,
    measurement: string,
    stored: Record<string, StoredFieldType>,
  ): void {
    if (this.cached >= MAX_CACHED_MEASUREMENTS) {
      this.tenants.clear();
      this.cached = 0;
    }
    let measurements = this.tenants.get(tenant);
    if (!measurements) {
      measurements = new Map();
      this.tenants.set(tenant, measurements);
    }
    if (!measurements.has(measurement)) this.cached += 1;
    measurements.set(measurement, new Map(Object.entries(stored)));
  }
}
