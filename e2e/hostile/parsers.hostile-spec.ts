import fc from 'fast-check';
import {
  CsvHeaderError,
  DEFAULT_TELEMETRY_LIMITS,
  formatRfc3339Nanoseconds,
  parseCsvPoints,
  parseJsonPoints,
  parseLineProtocol,
  parseRfc3339Nanoseconds,
  scanLineProtocol,
  serializePoint,
  serializePoints,
  type LineProtocolOptions,
  type Point,
  type SerializedPoint,
} from '@iotwins/telemetry';
import { lineProtocolCorpus } from './hostile-corpus';
import { hostileSeed } from './seeded-random';

/**
 * Property-based fuzzing of the telemetry parsers every ingest door runs (line protocol on
 * text and on bytes, JSON points, CSV points, RFC 3339 times): no exception but the declared
 * one, bounded time per input, the byte scanner agreeing with the parser, and what the JSON
 * parser accepts reading back the same through line protocol (the store's format). Each
 * property runs FUZZ_RUNS inputs or FUZZ_SECONDS, whichever ends first, from HOSTILE_SEED.
 */
const seed = hostileSeed();
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 8);
const budget = { seed, numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(SECONDS * 1000)] };
/** One input of a few KiB parsed in more than this is a complexity bug, not noise. */
const PER_INPUT_MS = 250;

const options: LineProtocolOptions = {
  precision: 'ns',
  defaultTimestamp: 1_795_514_400_000_000_000n,
  limits: DEFAULT_TELEMETRY_LIMITS,
};

/** Any UTF-16 code unit, lone surrogates and NUL included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const anyText = fc.string({ unit: anyCodeUnit, maxLength: 400 });

/** The pieces line protocol is made of, hostile ones included, so lines get past the first check. */
const piece = fc.oneof(
  fc.constantFrom('m', 'wind', 'tëst', 'time', '_m', '#', '', 'x'.repeat(257)),
  fc.constantFrom(
    ',',
    '=',
    ' ',
    '\\',
    '"',
    '\n',
    '\r',
    '\t',
    '\u0000',
    '\u000b',
    '\ud800',
    '\u202e',
  ),
  fc.constantFrom(
    't',
    'f',
    'TRUE',
    'NaN',
    'Inf',
    '+1.5',
    '-0',
    '1e309',
    '.5',
    '1i',
    '+1i',
    '18446744073709551616u',
    '9223372036854775808i',
  ),
  fc.constantFrom(' 1795514400000000001', ' -9223372036854775807', ' 99999999999999999999', ' 1.5'),
  fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
);
const lineArbitrary = fc
  .tuple(
    fc.array(piece, { maxLength: 4 }),
    fc.array(fc.tuple(piece, piece), { maxLength: 3 }),
    fc.array(fc.tuple(piece, piece), { minLength: 1, maxLength: 3 }),
    fc.option(piece),
  )
  .map(([measurement, tags, fields, time]) => {
    let line = measurement.join('') || 'm';
    for (const [key, value] of tags) line += `,${key}=${value}`;
    line += ` ${fields.map(([key, value]) => `${key}=${value}`).join(',')}`;
    return time === null ? line : `${line}${time}`;
  });
const bodyArbitrary = fc.array(lineArbitrary, { maxLength: 20 }).map((lines) => lines.join('\n'));

function timed<T>(what: string, size: number, work: () => T): T {
  const started = performance.now();
  const result = work();
  const took = performance.now() - started;
  if (took > PER_INPUT_MS)
    throw new Error(`${what} took ${took.toFixed(0)} ms on ${size} characters`);
  return result;
}

function grouped(points: Point[]): SerializedPoint[] {
  const groups = new Map<string, SerializedPoint[]>();
  for (const point of points) {
    const group = groups.get(point.measurement) ?? [];
    group.push({ measurement: point.measurement, line: serializePoint(point) });
    groups.set(point.measurement, group);
  }
  return [...groups.values()].flat();
}

describe('fuzzing the telemetry parsers', () => {
  it('line protocol: any text is parsed without throwing, in bounded time', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, bodyArbitrary), (body) => {
        const parsed = timed('parseLineProtocol', body.length, () =>
          parseLineProtocol(body, options),
        );
        for (const error of parsed.errors) expect(typeof error.detail).toBe('string');
      }),
      budget,
    );
  });

  it('line protocol: the byte scanner keeps the same lines and reports the same errors as the parser', () => {
    fc.assert(
      fc.property(bodyArbitrary, (text) => {
        // Both read what arrives on the wire: UTF-8 bytes (a lone surrogate is U+FFFD there).
        const bytes = Buffer.from(text);
        const body = bytes.toString('utf8');
        const full = parseLineProtocol(body, options);
        const scanned = timed('scanLineProtocol', body.length, () =>
          scanLineProtocol(bytes, options),
        );
        expect(scanned.errors).toEqual(full.errors);
        expect(scanned.batch.size).toBe(full.points.length);
        expect(scanned.batch.lines()).toEqual(grouped(full.points));
      }),
      budget,
    );
  });

  it('line protocol: arbitrary bytes, invalid UTF-8 included, are scanned without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
        timed('scanLineProtocol', bytes.length, () => scanLineProtocol(bytes, options));
      }),
      budget,
    );
  });

  it('line protocol: a line the parser accepts reads back the same from its serialized form', () => {
    fc.assert(
      fc.property(bodyArbitrary, (body) => {
        const { points } = parseLineProtocol(body, options);
        const again = parseLineProtocol(
          serializePoints(points.map(({ line: _line, ...point }) => point)),
          options,
        );
        expect(again.errors).toEqual([]);
        expect(again.points.map(({ line: _line, ...point }) => point)).toEqual(
          points.map(({ line: _line, ...point }) => point),
        );
      }),
      budget,
    );
  });

  /** Names and values a JSON client may send: any text, lone surrogates and controls included. */
  const jsonPoint = fc.record({
    measurement: fc.oneof(
      anyText,
      fc.constantFrom('m', 'a b', 'a,b', 'a\\', '#m', 'x'.repeat(256)),
    ),
    tags: fc.dictionary(
      fc.oneof(anyText, fc.constantFrom('t', 'a=b', 'k\\')),
      fc.oneof(anyText, fc.constantFrom('v', 'a b', 'v\\', 'a"b')),
    ),
    fields: fc.dictionary(
      fc.oneof(anyText, fc.constantFrom('v', 'time', 'a\\')),
      fc.oneof(
        fc.double(),
        fc.boolean(),
        anyText,
        fc.constantFrom('\\', 'a\\', '"', 'a"b\\'),
        fc.record({
          type: fc.constantFrom('integer', 'uinteger'),
          value: fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
        }),
      ),
      { minKeys: 1, maxKeys: 4 },
    ),
    time: fc.oneof(
      fc.integer(),
      fc.constantFrom('2026-11-24T10:00:00.123456789Z', '1677-09-21T00:12:43.145224194Z', 'soon'),
    ),
  });

  it('JSON points: any JSON value is validated without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({ points: fc.array(fc.oneof(fc.jsonValue(), jsonPoint), { maxLength: 5 }) }),
        ),
        (body) => {
          timed('parseJsonPoints', JSON.stringify(body)?.length ?? 0, () =>
            parseJsonPoints(body, {
              precision: 'ms',
              defaultTimestamp: options.defaultTimestamp,
              limits: DEFAULT_TELEMETRY_LIMITS,
            }),
          );
        },
      ),
      budget,
    );
  });

  it('JSON points: what the JSON parser accepts is stored as line protocol that reads back the same', () => {
    fc.assert(
      fc.property(fc.array(jsonPoint, { minLength: 1, maxLength: 3 }), (points) => {
        const parsed = parseJsonPoints(
          { points },
          {
            precision: 'ms',
            defaultTimestamp: options.defaultTimestamp,
            limits: DEFAULT_TELEMETRY_LIMITS,
          },
        );
        if (parsed.errors.length > 0) return;
        const stored = parseLineProtocol(serializePoints(parsed.points), options);
        expect(stored.errors).toEqual([]);
        expect(stored.points.map(({ line: _line, ...point }) => point)).toEqual(
          parsed.points.map(({ line: _line, ...point }) => point),
        );
      }),
      budget,
    );
  });

  it('CSV points: any text is read without an exception other than CsvHeaderError', () => {
    const cell = fc.oneof(
      anyText,
      fc.constantFrom(
        'time',
        'measurement',
        'tag:t',
        'field:v',
        'field:v:integer',
        'field:v:bogus',
        '"a""b"',
        '1e309',
        'NaN',
        '+1.5',
      ),
    );
    const csv = fc
      .array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 8 })
      .map((rows) => rows.map((row) => row.join(',')).join('\n'));
    fc.assert(
      fc.property(fc.oneof(anyText, csv), (text) => {
        try {
          timed('parseCsvPoints', text.length, () =>
            parseCsvPoints(text, {
              measurement: 'm',
              precision: 'ms',
              defaultTimestamp: options.defaultTimestamp,
              limits: DEFAULT_TELEMETRY_LIMITS,
            }),
          );
        } catch (error) {
          if (!(error instanceof CsvHeaderError)) throw error;
        }
      }),
      budget,
    );
  });

  it('RFC 3339 times: any text is read or refused, and every valid instant reads back exactly', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        parseRfc3339Nanoseconds(text);
      }),
      budget,
    );
    fc.assert(
      fc.property(
        fc.bigInt({
          min: DEFAULT_TELEMETRY_LIMITS.minTimestampNs,
          max: DEFAULT_TELEMETRY_LIMITS.maxTimestampNs,
        }),
        (nanos) => {
          expect(parseRfc3339Nanoseconds(formatRfc3339Nanoseconds(nanos))).toBe(nanos);
        },
      ),
      budget,
    );
  });

  it("stays linear on the issue's inputs: the line of 100,000 fields and 30,000 bad lines", () => {
    for (const hostile of lineProtocolCorpus('m').filter((one) =>
      /100,000 fields|30,000 bad|10,000 field-type/.test(one.label),
    )) {
      for (const [what, parse] of [
        ['parseLineProtocol', () => parseLineProtocol(hostile.value, options)],
        ['scanLineProtocol', () => scanLineProtocol(Buffer.from(hostile.value), options)],
      ] as const) {
        const started = performance.now();
        parse();
        const took = performance.now() - started;
        expect([hostile.label, what, took < 1_000]).toEqual([hostile.label, what, true]);
      }
    }
  });
});
