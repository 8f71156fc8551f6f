import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { requireEnv, uniqueName } from '@iotwins/testing';
import {
  hostileJsonBodies,
  hostileJsonStrings,
  hostileJsonValues,
  invalidUtf8Line,
  lineProtocolCorpus,
  type HostileJson,
} from './hostile-corpus';
import type { AppFleet, FreshToken, HostileRun } from './hostile-run';
import { withRawLeaf } from './openapi-doors';
import type { SeededRandom } from './seeded-random';

const TENANT = 'tenant-a';
const REPLY_TIMEOUT_MS = 15_000;

interface NatsCase {
  label: string;
  subject: string;
  payload: Uint8Array | string;
  contentType?: string;
  always?: boolean;
  mustRefuse?: boolean;
}

/** Subject tokens a tenant may put in its own subjects: the permission is `<family>.<tenant>.*`. */
const HOSTILE_TOKENS: { label: string; value: string }[] = [
  { label: 'token x%00y', value: 'x%00y' },
  { label: 'token with U+202E', value: 'a\u202Eb' },
  { label: 'token of 300 chars', value: 'n'.repeat(300) },
  { label: 'token with controls', value: 'a\u0001\u007fb' },
  { label: 'token with NUL', value: 'a\u0000b' },
  { label: 'token ../x', value: '..%2Fx' },
  { label: 'token with quote and dollar', value: `$'"` },
];

const encoder = new TextEncoder();

/** Every hostile JSON value in one field of a well-formed message. */
function jsonMutations(
  baseline: unknown,
  paths: (string | number)[][],
): { label: string; payload: string }[] {
  const values: HostileJson[] = [...hostileJsonStrings, ...hostileJsonValues];
  return paths.flatMap((path) =>
    values.map((value) => ({
      label: `${path.join('.')}=${value.label}`,
      payload: withRawLeaf(baseline, path, value.raw),
    })),
  );
}

/** The cases of the four subject families a tenant may publish on (docs/nats.md). */
export function natsCases(): { family: string; cases: NatsCase[] }[] {
  const measurement = uniqueName('hostile_nats');
  const ingest = (token = measurement) => `ingest.${TENANT}.${token}`;
  const point = { fields: { v: 1 }, tags: { site: 'S1' }, time: 1_795_514_400_000 };
  const ingestCases: NatsCase[] = [
    ...lineProtocolCorpus(measurement).map((line) => ({
      label: `line protocol: ${line.label}`,
      subject: ingest(),
      payload: line.value,
      contentType: 'text/plain',
      always: true,
      mustRefuse: line.refused,
    })),
    {
      label: 'line protocol: invalid UTF-8 bytes',
      subject: ingest(),
      payload: invalidUtf8Line(measurement),
      contentType: 'text/plain',
      always: true,
      mustRefuse: true,
    },
    // Just under NATS's 1 MiB payload: a reply listing every bad line cannot fit (issue item 5).
    {
      label: 'line protocol: 1 MiB - 4 KiB of "x\\n"',
      subject: ingest(),
      payload: 'x\n'.repeat(522_000),
      contentType: 'text/plain',
      always: true,
      mustRefuse: true,
    },
    ...hostileJsonBodies
      .filter((body) => Buffer.byteLength(body.body) < 1_000_000)
      .map((body) => ({
        label: `raw body: ${body.label}`,
        subject: ingest(),
        payload: typeof body.body === 'string' ? body.body : new Uint8Array(body.body),
        always: /10,000|invalid UTF-8/.test(body.label),
      })),
    ...jsonMutations(point, [['fields', 'v'], ['tags', 'site'], ['time']]).map((one) => ({
      label: `JSON point ${one.label}`,
      subject: ingest(),
      payload: one.payload,
    })),
    ...HOSTILE_TOKENS.map((token) => ({
      label: `subject ${token.label}`,
      subject: ingest(token.value),
      payload: JSON.stringify(point),
      always: true,
    })),
  ];

  const model = uniqueName('hostile-model').replace(/[^a-z0-9-]/g, '-');
  const observation = { id: uniqueName('obs'), value: 1.5, features: { x: 1 } };
  const observationCases = (family: 'predictions' | 'actuals'): NatsCase[] => [
    ...jsonMutations(observation, [['id'], ['value'], ['features', 'x'], []]).map((one) => ({
      label: `${family} ${one.label}`,
      subject: `${family}.${TENANT}.${model}`,
      payload: one.payload,
      always: one.label.includes('NUL inside'),
    })),
    // Issue item 1: an invalid observation of about 1 MB, whose dead-letter copy would not fit.
    {
      label: `${family} invalid observation of 1,000,000 bytes`,
      subject: `${family}.${TENANT}.${model}`,
      payload: JSON.stringify({ id: 'big', value: 'v'.repeat(999_950) }),
      always: true,
    },
    {
      label: `${family} list of 10,001 observations`,
      subject: `${family}.${TENANT}.${model}`,
      payload: JSON.stringify(
        Array.from({ length: 10_001 }, (_, i) => ({ id: `o${i}`, value: i })),
      ),
      always: true,
    },
    ...HOSTILE_TOKENS.map((token) => ({
      label: `${family} subject ${token.label}`,
      subject: `${family}.${TENANT}.${token.value}`,
      payload: JSON.stringify({ id: uniqueName('obs'), value: 1 }),
      always: true,
    })),
    ...hostileJsonBodies
      .filter((body) => Buffer.byteLength(body.body) < 1_000_000)
      .map((body) => ({
        label: `${family} raw body: ${body.label}`,
        subject: `${family}.${TENANT}.${model}`,
        payload: typeof body.body === 'string' ? body.body : new Uint8Array(body.body),
      })),
  ];

  const node = uniqueName('hostile-node').replace(/[^a-z0-9-]/g, '-');
  const heartbeat = {
    time: '2026-11-24T10:00:00Z',
    runtime: { os: 'linux' },
    running: [{ deployment: 'd', version: 1 }],
  };
  const status = {
    deployment: 'd',
    state: 'running',
    version: 1,
    reason: 'ok',
    time: '2026-11-24T10:00:00Z',
  };
  const nodeCases: NatsCase[] = [
    ...jsonMutations(heartbeat, [
      ['time'],
      ['runtime', 'os'],
      ['running', 0, 'deployment'],
      ['running', 0, 'version'],
    ]).map((one) => ({
      label: `heartbeat ${one.label}`,
      subject: `nodes.${TENANT}.${node}.heartbeat`,
      payload: one.payload,
    })),
    ...jsonMutations(status, [['deployment'], ['state'], ['reason'], ['version']]).map((one) => ({
      label: `status ${one.label}`,
      subject: `nodes.${TENANT}.${node}.status`,
      payload: one.payload,
    })),
    ...HOSTILE_TOKENS.map((token) => ({
      label: `heartbeat subject ${token.label}`,
      subject: `nodes.${TENANT}.${token.value}.heartbeat`,
      payload: JSON.stringify(heartbeat),
      always: true,
    })),
    ...hostileJsonBodies
      .filter((body) => Buffer.byteLength(body.body) < 1_000_000)
      .map((body) => ({
        label: `heartbeat raw body: ${body.label}`,
        subject: `nodes.${TENANT}.${node}.heartbeat`,
        payload: typeof body.body === 'string' ? body.body : new Uint8Array(body.body),
      })),
  ];
  return [
    { family: `nats ingest.${TENANT}.<measurement> (request-reply)`, cases: ingestCases },
    { family: `nats predictions.${TENANT}.<model>`, cases: observationCases('predictions') },
    { family: `nats actuals.${TENANT}.<model>`, cases: observationCases('actuals') },
    { family: `nats nodes.${TENANT}.<node>.heartbeat|status`, cases: nodeCases },
  ];
}

/** A problem-shaped reply with a 5xx status, or no status and no count: not an answer. */
function judgeIngestReply(
  text: string,
  mustRefuse: boolean | undefined,
): { outcome?: string; serverError: boolean } {
  let reply: { status?: unknown; accepted?: unknown; written?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    return { outcome: `reply is not JSON: ${text.slice(0, 200)}`, serverError: false };
  }
  if (typeof reply.status === 'number' && reply.status >= 500)
    return { outcome: `reply status ${reply.status}: ${text.slice(0, 300)}`, serverError: true };
  const stored =
    typeof reply.accepted === 'number'
      ? reply.accepted
      : typeof reply.written === 'number'
        ? reply.written
        : 0;
  if (mustRefuse && stored > 0)
    return {
      outcome: `acknowledged ${stored} point(s) InfluxDB or an ingest limit refuses: ${text.slice(0, 200)}`,
      serverError: false,
    };
  if (typeof reply.status !== 'number' && typeof reply.accepted !== 'number')
    return {
      outcome: `reply neither a count nor a problem: ${text.slice(0, 200)}`,
      serverError: false,
    };
  return { serverError: false };
}

/** Which app consumes each family: a crash of that app is this door's. */
const CONSUMER: Record<string, string> = {
  ingest: 'ingest',
  predictions: 'retrainer',
  actuals: 'retrainer',
  nodes: 'model-registry',
};

/** Publishes every sampled case as tenant-a, logged in through the auth callout with its token. */
export async function attackNatsDoors(
  fleet: AppFleet,
  run: HostileRun,
  token: FreshToken,
  random: (door: string) => SeededRandom,
  perDoor: number,
): Promise<void> {
  let nc: NatsConnection | undefined;
  const connection = async (): Promise<NatsConnection> => {
    if (nc && !nc.isClosed()) return nc;
    await fleet.app('ingest'); // the auth callout runs in ingest
    const opened = await connect({
      servers: requireEnv('NATS_URL'),
      token: await token.get(),
      inboxPrefix: `_INBOX_${TENANT}`,
    });
    nc = opened;
    return opened;
  };
  try {
    for (const { family, cases } of natsCases()) {
      run.door(family);
      const sampled = random(family).sample(cases, perDoor, (one) => one.always === true);
      for (const one of sampled) {
        const consumer = CONSUMER[one.subject.split('.')[0]!]!;
        if (!(await fleet.available(consumer))) {
          run.record(family, one.label, fleet.downReason(consumer));
          continue;
        }
        run.inFlight.set(consumer, `${family} | ${one.label}`);
        try {
          const client = await connection();
          const headers = natsHeaders();
          if (one.contentType) headers.set('Content-Type', one.contentType);
          const payload =
            typeof one.payload === 'string' ? encoder.encode(one.payload) : one.payload;
          if (family.startsWith('nats ingest')) {
            const reply = await client.request(one.subject, payload, {
              timeout: REPLY_TIMEOUT_MS,
              headers,
            });
            const judged = judgeIngestReply(reply.string(), one.mustRefuse);
            run.record(family, one.label, judged.outcome, judged.serverError);
          } else {
            // Stream subjects: JetStream's acknowledgement says the message is in the stream.
            await client
              .request(one.subject, payload, { timeout: REPLY_TIMEOUT_MS, headers })
              .catch(() => undefined);
            // Let the consumer take it while this case is still the one in flight.
            await new Promise((done) => setTimeout(done, 50));
            run.record(
              family,
              one.label,
              fleet.running(consumer) ? undefined : `${consumer} exited`,
            );
          }
        } catch (error) {
          const message = (error as Error).message;
          // A subject the server refuses to route or a client-side refusal is an answer too.
          if (/permission|invalid subject|MAX_PAYLOAD|payload/i.test(message))
            run.record(family, one.label);
          else {
            run.record(
              family,
              one.label,
              fleet.running(consumer)
                ? `no reply within ${REPLY_TIMEOUT_MS} ms: ${message}`
                : `no reply: ${consumer} exited`,
            );
            await fleet.unstall(consumer);
          }
        } finally {
          run.inFlight.delete(consumer);
        }
      }
    }
    // A consumer that dies on a message a moment after taking it still counts.
    await new Promise((done) => setTimeout(done, 3_000));
  } finally {
    await nc?.close().catch(() => undefined);
  }
}
