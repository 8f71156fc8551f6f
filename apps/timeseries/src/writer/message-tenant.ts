import type { JsMsg } from '@nats-io/jetstream';
import { TelemetryHeader, isSubjectToken } from '@iotwins/messaging';

/**
 * The tenant of a telemetry message is the second token of its subject, which NATS
 * permissions bind (only ingest may publish telemetry.>, and ingest derives the subject from
 * the verified token). The Iotwins-Tenant header is informational: a message whose header
 * names another tenant was forged or mangled, and is dead-lettered, never written anywhere.
 */
export function tenantOf(
  message: Pick<JsMsg, 'subject' | 'headers'>,
): string | { deadLetterAs: string; reason: string } {
  const tenant = message.subject.split('.')[1] ?? '';
  if (!isSubjectToken(tenant))
    return {
      deadLetterAs: 'unknown',
      reason: `telemetry subject ${message.subject} names no tenant`,
    };
  const header = message.headers?.get(TelemetryHeader.Tenant);
  if (header && header !== tenant)
    return {
      deadLetterAs: tenant,
      reason: `${TelemetryHeader.Tenant} header "${header.slice(0, 128)}" disagrees with the subject's tenant "${tenant}"`,
    };
  return tenant;
}
