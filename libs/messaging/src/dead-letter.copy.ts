import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { JsMsg } from '@nats-io/jetstream';

/**
 * Headers every dead letter carries, whichever consumer wrote it. Renaming one breaks the
 * dead-letter readers (timeseries' API, operators' scripts): it needs a migration.
 */
export const DeadLetterHeader = {
  Reason: 'Iotwins-Dead-Letter-Reason',
  /** The subject the message was first published on. */
  Subject: 'Iotwins-Dead-Letter-Subject',
  /** The stream and sequence it was read from, to find the original while it is kept. */
  Stream: 'Iotwins-Dead-Letter-Stream',
  Sequence: 'Iotwins-Dead-Letter-Sequence',
  /** Size in bytes of the original body; the copy holds fewer when it is truncated. */
  OriginalSize: 'Iotwins-Dead-Letter-Original-Size',
  /** "true" when the body is a prefix of the original (it would not fit otherwise). */
  Truncated: 'Iotwins-Dead-Letter-Truncated',
} as const;

/** What a header may hold of a reason, and of each original header copied along. */
const MAX_REASON_CHARS = 1024;
const MAX_COPIED_HEADER_BYTES = 8 * 1024;
/** Room for the protocol's own framing of the message (subject, reply, sizes). */
const FRAMING_MARGIN_BYTES = 1024;

export interface DeadLetterSource {
  subject: string;
  data: Uint8Array;
  headers?: MsgHdrs;
  /** Stream and sequence of a JetStream message. */
  stream?: string;
  seq?: number;
}

export interface DeadLetterCopy {
  data: Uint8Array;
  headers: MsgHdrs;
  truncated: boolean;
}

function headerBytes(key: string, value: string): number {
  // "Key: value\r\n", in UTF-8.
  return Buffer.byteLength(key) + Buffer.byteLength(value) + 4;
}

/**
 * A dead letter that always fits in one NATS message: the original headers (as many as fit
 * in 8 KiB), the reason (1 KiB at most), where it came from, and as much of the body as
 * `maxPayload` (the server's limit) and `maxCopyBytes` leave room for. A poison message that
 * was itself close to the limit can then never make the dead-lettering fail, which would
 * leave the message to be read, and refused, again forever.
 */
export function boundedDeadLetterCopy(
  source: DeadLetterSource,
  reason: string,
  limits: { maxPayload: number; maxCopyBytes?: number },
): DeadLetterCopy {
  const headers = natsHeaders();
  let used = 12; // "NATS/1.0\r\n" and the closing "\r\n"
  const put = (key: string, value: string) => {
    headers.set(key, value);
    used += headerBytes(key, value);
  };
  // Header values cannot hold CR or LF; a reason built from outside text might.
  put(DeadLetterHeader.Reason, reason.replace(/[\r\n]+/g, ' ').slice(0, MAX_REASON_CHARS));
  put(DeadLetterHeader.Subject, source.subject);
  if (source.stream !== undefined) put(DeadLetterHeader.Stream, source.stream);
  if (source.seq !== undefined) put(DeadLetterHeader.Sequence, String(source.seq));
  put(DeadLetterHeader.OriginalSize, String(source.data.length));

  let copied = 0;
  for (const [key, values] of source.headers ?? []) {
    if (Object.values(DeadLetterHeader).includes(key as never)) continue;
    for (const value of values) {
      const size = headerBytes(key, value);
      if (copied + size > MAX_COPIED_HEADER_BYTES) continue;
      headers.append(key, value);
      copied += size;
      used += size;
    }
  }

  const truncatedHeader = headerBytes(DeadLetterHeader.Truncated, 'true');
  const room = Math.max(
    0,
    Math.min(
      limits.maxCopyBytes ?? Number.POSITIVE_INFINITY,
      limits.maxPayload - used - truncatedHeader - FRAMING_MARGIN_BYTES,
    ),
  );
  if (source.data.length <= room) return { data: source.data, headers, truncated: false };
  headers.set(DeadLetterHeader.Truncated, 'true');
  return { data: source.data.subarray(0, room), headers, truncated: true };
}

/** nats-server's default max_payload, for a connection that has not told its own yet. */
export const NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The largest message the server of a connection takes (its INFO), for bounded copies. */
export function maxPayloadOf(nc: { info?: { max_payload?: number } }): number {
  return nc.info?.max_payload ?? NATS_DEFAULT_MAX_PAYLOAD;
}

/**
 * Whether a failed (dead-letter) publish may succeed later: no connection, no answer in time,
 * no stream answering. Anything else (a message refused as too large, a bad subject) fails
 * the same way at every retry, so the message is terminated instead of retried.
 */
export function isTransientPublishError(error: Error): boolean {
  const text = `${error.name} ${error.message}`;
  return /timeout|timed out|no responders|503|closed|disconnect|reconnect|connection/i.test(text);
}

/** The bounded copy of a JetStream message, sized for the server of `nc`. */
export function deadLetterCopyOf(
  message: JsMsg,
  reason: string,
  nc: { info?: { max_payload?: number } },
  maxCopyBytes?: number,
): DeadLetterCopy {
  return boundedDeadLetterCopy(
    {
      subject: message.subject,
      data: message.data,
      headers: message.headers,
      stream: message.info.stream,
      seq: message.seq,
    },
    reason,
    { maxPayload: maxPayloadOf(nc), maxCopyBytes },
  );
}
