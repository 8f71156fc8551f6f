import { assertSubjectToken, encodeSubjectToken } from './subject-token';

/**
 * Subjects and stream of the telemetry path. Renaming any of these strands data already in
 * a stream or breaks running subscribers: it needs a migration.
 */
export const TELEMETRY_STREAM = 'TELEMETRY';
export const TELEMETRY_SUBJECTS = 'telemetry.>';
export const DEAD_LETTER_STREAM = 'DEADLETTER';
export const DEAD_LETTER_SUBJECTS = 'deadletter.>';
/** The durable consumer the timeseries writers share. */
export const TIMESERIES_WRITER_CONSUMER = 'timeseries-writer';

/** telemetry.<tenant>.<measurement>, the measurement encoded to one token. */
export function telemetrySubject(tenant: string, measurement: string): string {
  return `telemetry.${assertSubjectToken('tenant', tenant)}.${encodeSubjectToken(measurement)}`;
}

/** deadletter.telemetry.<tenant>: batches InfluxDB refused for good, with the reason. */
export function telemetryDeadLetterSubject(tenant: string): string {
  return `deadletter.telemetry.${assertSubjectToken('tenant', tenant)}`;
}

/** Headers of a telemetry message; the body is canonical line protocol, nanosecond precision. */
export const TelemetryHeader = {
  Tenant: 'Iotwins-Tenant',
  Points: 'Iotwins-Points',
  Source: 'Iotwins-Source',
  DeadLetterReason: 'Iotwins-Dead-Letter-Reason',
  /** The TELEMETRY subject a dead letter was first published on. */
  DeadLetterSubject: 'Iotwins-Dead-Letter-Subject',
} as const;
