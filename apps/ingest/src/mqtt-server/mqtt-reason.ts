import { ProblemException } from '@iotwins/http';

/** MQTT 5 reason codes the ingest endpoint answers with (MQTT 5.0 §2.4). */
export const Reason = {
  success: 0x00,
  unspecified: 0x80,
  badCredentials: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  topicNameInvalid: 0x90,
  packetIdentifierNotFound: 0x92,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
} as const;

/** The PUBACK reason for a write the ingest service refused or could not store. */
export function reasonOfProblem(error: unknown): number {
  if (!(error instanceof ProblemException)) return Reason.unspecified;
  switch (error.problem.status) {
    case 400:
    case 413:
      return Reason.payloadFormatInvalid;
    case 403:
      return Reason.notAuthorized;
    case 429:
      return Reason.quotaExceeded;
    default:
      return Reason.unspecified;
  }
}

/** A reason string fits in a packet and tells no more than the HTTP answer would. */
export function reasonString(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
