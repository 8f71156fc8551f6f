import * as grpc from '@grpc/grpc-js';
import { uniqueName } from '@iotwins/testing';
import { invalidUtf8Line, lineProtocolCorpus } from './hostile-corpus';
import type { AppFleet, FreshToken, HostileRun } from './hostile-run';
import type { SeededRandom } from './seeded-random';

/**
 * Protobuf written by hand (proto/iotwins/ingest/v1/ingest.proto), so a string field can hold
 * bytes no generated client would send: invalid UTF-8, NUL, lone surrogates' WTF-8.
 */
function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}
const bytesField = (field: number, value: Buffer | string): Buffer => {
  const data = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint(BigInt((field << 3) | 2)), varint(BigInt(data.length)), data]);
};
const varintField = (field: number, value: bigint): Buffer =>
  Buffer.concat([varint(BigInt(field << 3)), varint(value)]);
const doubleField = (field: number, value: number): Buffer => {
  const data = Buffer.alloc(8);
  data.writeDoubleLE(value);
  return Buffer.concat([varint(BigInt((field << 3) | 1)), data]);
};

type FieldBytes = Buffer;
const fieldValue = {
  float: (value: number): FieldBytes => doubleField(1, value),
  int: (value: bigint): FieldBytes => varintField(2, value),
  uint: (value: bigint): FieldBytes => varintField(3, value),
  string: (value: Buffer | string): FieldBytes => bytesField(5, value),
};

function pointMessage(point: {
  measurement: Buffer | string;
  tags?: [Buffer | string, Buffer | string][];
  fields: [Buffer | string, FieldBytes][];
  time?: bigint;
}): Buffer {
  return Buffer.concat([
    bytesField(1, point.measurement),
    ...(point.tags ?? []).map(([key, value]) =>
      bytesField(2, Buffer.concat([bytesField(1, key), bytesField(2, value)])),
    ),
    ...point.fields.map(([key, value]) =>
      bytesField(3, Buffer.concat([bytesField(1, key), bytesField(2, value)])),
    ),
    ...(point.time === undefined ? [] : [varintField(4, point.time)]),
  ]);
}
const linesRequest = (lines: Buffer | string, precision = ''): Buffer =>
  Buffer.concat([bytesField(2, lines), ...(precision ? [bytesField(4, precision)] : [])]);
const pointsRequest = (...points: Buffer[]): Buffer =>
  bytesField(3, Buffer.concat(points.map((one) => bytesField(1, one))));

/** WriteResponse.accepted (field 1), the only part the tier reads. */
function acceptedOf(response: Buffer): bigint {
  let offset = 0;
  while (offset < response.length) {
    const tag = response[offset++]!;
    if (tag === 0x08) {
      let value = 0n;
      let shift = 0n;
      for (;;) {
        const byte = response[offset++]!;
        value |= BigInt(byte & 0x7f) << shift;
        if ((byte & 0x80) === 0) break;
        shift += 7n;
      }
      return value;
    }
    if ((tag & 7) !== 2) return 0n;
    let length = 0;
    let shift = 0;
    for (;;) {
      const byte = response[offset++]!;
      length |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    offset += length;
  }
  return 0n;
}

interface GrpcCase {
  label: string;
  requests: Buffer[];
  always?: boolean;
  mustRefuse?: boolean;
}

const BAD_UTF8 = Buffer.from([0x61, 0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x62]);

export function grpcCases(): GrpcCase[] {
  const m = uniqueName('hostile_grpc');
  const ok = (value: number): [string, FieldBytes] => ['v', fieldValue.float(value)];
  return [
    ...lineProtocolCorpus(m).map((line) => ({
      label: `line protocol: ${line.label}`,
      requests: [linesRequest(line.value)],
      always: true,
      mustRefuse: line.refused,
    })),
    {
      label: 'line protocol: invalid UTF-8 bytes',
      requests: [linesRequest(invalidUtf8Line(m))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'precision hostile',
      requests: [linesRequest(`${m} v=1 1`, 'a\u0000b')],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: measurement invalid UTF-8',
      requests: [pointsRequest(pointMessage({ measurement: BAD_UTF8, fields: [ok(1)] }))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: tag value invalid UTF-8',
      requests: [
        pointsRequest(pointMessage({ measurement: m, tags: [['t', BAD_UTF8]], fields: [ok(1)] })),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: string field invalid UTF-8',
      requests: [
        pointsRequest(
          pointMessage({ measurement: m, fields: [['s', fieldValue.string(BAD_UTF8)]] }),
        ),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: NUL in measurement',
      requests: [pointsRequest(pointMessage({ measurement: `${m}\u0000x`, fields: [ok(1)] }))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: NUL in field key',
      requests: [
        pointsRequest(
          pointMessage({ measurement: m, fields: [['a\u0000b', fieldValue.float(1)]] }),
        ),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: U+202E in tag key',
      requests: [
        pointsRequest(pointMessage({ measurement: m, tags: [['a\u202Eb', 'v']], fields: [ok(1)] })),
      ],
      always: true,
    },
    {
      label: 'typed point: NaN',
      requests: [pointsRequest(pointMessage({ measurement: m, fields: [ok(Number.NaN)] }))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: Infinity',
      requests: [
        pointsRequest(pointMessage({ measurement: m, fields: [ok(Number.POSITIVE_INFINITY)] })),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: -0',
      requests: [pointsRequest(pointMessage({ measurement: m, fields: [ok(-0)] }))],
      always: true,
    },
    {
      label: 'typed point: uint 2^64-1',
      requests: [
        pointsRequest(
          pointMessage({ measurement: m, fields: [['u', fieldValue.uint(2n ** 64n - 1n)]] }),
        ),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: int -2^63',
      requests: [
        pointsRequest(
          pointMessage({ measurement: m, fields: [['i', fieldValue.int(-(2n ** 63n))]] }),
        ),
      ],
      always: true,
    },
    {
      label: 'typed point: time -2^63',
      requests: [
        pointsRequest(pointMessage({ measurement: m, fields: [ok(1)], time: -(2n ** 63n) })),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: time 2^63-1',
      requests: [
        pointsRequest(pointMessage({ measurement: m, fields: [ok(1)], time: 2n ** 63n - 1n })),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: no fields',
      requests: [pointsRequest(pointMessage({ measurement: m, fields: [] }))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed point: empty measurement',
      requests: [pointsRequest(pointMessage({ measurement: '', fields: [ok(1)] }))],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed points: 201 fields',
      requests: [
        pointsRequest(
          pointMessage({
            measurement: m,
            fields: Array.from(
              { length: 201 },
              (_, i) => [`f${i}`, fieldValue.float(i)] as [string, FieldBytes],
            ),
          }),
        ),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'typed points: 50,001 in one batch',
      requests: [
        pointsRequest(
          ...Array.from({ length: 50_001 }, (_, i) =>
            pointMessage({
              measurement: m,
              fields: [ok(i)],
              time: 1_795_514_400_000_000_000n + BigInt(i),
            }),
          ),
        ),
      ],
      always: true,
      mustRefuse: true,
    },
    {
      label: 'truncated protobuf',
      requests: [Buffer.from([0x12, 0xff, 0xff, 0x03, 0x61])],
      always: true,
    },
    {
      label: 'unknown field numbers',
      requests: [Buffer.concat([bytesField(99, 'x'), varintField(100, 1n)])],
      always: true,
    },
    {
      label: 'message of 5 MiB (over the default 4 MiB)',
      requests: [linesRequest(`${m} v=1\n`.repeat((5 * 1024 * 1024) / 12))],
      always: true,
    },
    {
      label: '1,000 empty messages in one stream',
      requests: Array(1_000).fill(Buffer.alloc(0)),
      always: true,
    },
  ];
}

/** gRPC codes that mean the server failed (the 5xx of gRPC), or that it never answered. */
const SERVER_FAILURES = new Set([
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DATA_LOSS,
  grpc.status.UNAVAILABLE,
]);

export async function attackGrpcDoor(
  fleet: AppFleet,
  run: HostileRun,
  token: FreshToken,
  random: SeededRandom,
  perDoor: number,
): Promise<void> {
  const door = 'grpc ingest iotwins.ingest.v1.Ingest/Write';
  run.door(door);
  for (const one of random.sample(grpcCases(), perDoor, (item) => item.always === true)) {
    const ingest = await fleet.available('ingest');
    if (!ingest) {
      run.record(door, one.label, fleet.downReason('ingest'));
      continue;
    }
    run.inFlight.set('ingest', `${door} | ${one.label}`);
    const client = new grpc.Client(
      `127.0.0.1:${ingest.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${await token.get()}`);
      const outcome = await new Promise<{ error?: grpc.ServiceError; response?: Buffer }>(
        (done) => {
          const call = client.makeClientStreamRequest<Buffer, Buffer>(
            '/iotwins.ingest.v1.Ingest/Write',
            (message) => message,
            (bytes) => bytes,
            metadata,
            { deadline: Date.now() + 20_000 },
            (error, response) => done(error ? { error } : { response }),
          );
          call.on('error', () => undefined);
          for (const request of one.requests) call.write(request);
          call.end();
        },
      );
      const code = outcome.error?.code;
      if (!fleet.running('ingest')) run.record(door, one.label, 'ingest exited');
      else if (code !== undefined && SERVER_FAILURES.has(code))
        run.record(door, one.label, `${grpc.status[code]}: ${outcome.error?.details}`, true);
      else if (code === grpc.status.DEADLINE_EXCEEDED) {
        run.record(door, one.label, 'no answer within 20 s');
        await fleet.unstall('ingest');
      } else if (outcome.response && one.mustRefuse && acceptedOf(outcome.response) > 0n)
        run.record(
          door,
          one.label,
          `accepted ${acceptedOf(outcome.response)}: acknowledged what InfluxDB, HTTP or an ingest limit refuses`,
        );
      else run.record(door, one.label);
    } finally {
      client.close();
      run.inFlight.delete('ingest');
    }
  }
}
