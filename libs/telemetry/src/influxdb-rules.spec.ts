import { RequestFieldTypes, type StoredFieldType } from './field-types';
import { parseLineProtocol, type LineProtocolOptions } from './line-protocol.parser';
import { scanLineProtocol } from './line-protocol.scanner';
import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';
import { parseJsonPoints } from './json-points.parser';
import { MAX_SERIES_KEY_BYTES } from './series-key';

const options = (extra: Partial<LineProtocolOptions> = {}): LineProtocolOptions => ({
  precision: 'ns',
  defaultTimestamp: 1_700_000_000_000_000_000n,
  limits: DEFAULT_TELEMETRY_LIMITS,
  ...extra,
});

/** Both readers of line protocol, so the byte path and the text path keep the same rules. */
const scan = (body: string | Buffer, extra: Partial<LineProtocolOptions> = {}) => {
  const { batch, errors } = scanLineProtocol(body, options(extra));
  return { lines: batch.lines().map((point) => point.line), errors };
};

const stored = (types: Record<string, Record<string, StoredFieldType>>) => ({
  typeOf: (measurement: string, field: string) => types[measurement]?.[field],
});

describe('line protocol as InfluxDB 1.x reads it', () => {
  it('takes several spaces between sections as one', () => {
    const { lines, errors } = scan('m      value=1.0     1257894000000000000');
    expect(errors).toEqual([]);
    expect(lines).toEqual(['m value=1 1257894000000000000']);
    expect(parseLineProtocol('m,t=a   v=2i  5', options()).points[0]).toMatchObject({
      tags: { t: 'a' },
      fields: { v: { type: 'integer', value: 2n } },
      timestamp: 5n,
    });
  });

  it('refuses only the line holding a byte that is not UTF-8', () => {
    const body = Buffer.concat([
      Buffer.from('m v=1 1\nm,t=a'),
      Buffer.from([0xff]),
      Buffer.from(' v=2 2\nm v=3 3'),
    ]);
    const { lines, errors } = scan(body);
    expect(lines).toEqual(['m v=1 1', 'm v=3 3']);
    expect(errors).toEqual([{ line: 2, detail: 'the line is not valid UTF-8' }]);
  });

  it('keeps the last value of a repeated field key', () => {
    const { lines, errors } = scan('m v=1,v=2 7\nm,t=x v="a",w=1i,v="b"');
    expect(errors).toEqual([]);
    expect(lines).toEqual(['m v=2 7', 'm,t=x v="b",w=1i 1700000000000000000']);
  });

  it('finds nothing to store, and nothing wrong, in an empty or comment-only body', () => {
    for (const body of ['', '\n\n', '# just a comment\n  \n#another']) {
      const { lines, errors } = scan(body);
      expect({ lines, errors }).toEqual({ lines: [], errors: [] });
    }
  });

  it('refuses a line ending in a vertical tab or a form feed', () => {
    const { lines, errors } = scan('m v=1 1\u000b\nm v=2\u000c\nm v=3 3');
    expect(lines).toEqual(['m v=3 3']);
    expect(errors.map((error) => error.line)).toEqual([1, 2]);
  });

  it('refuses the lines that crash InfluxDB 1.x', () => {
    for (const line of ['0 \\\\="="', 'm \\0=","=3,"="']) {
      const { lines, errors } = scan(line);
      expect(lines).toEqual([]);
      expect(errors).toHaveLength(1);
    }
  });
});

describe('numbers, as InfluxDB 1.x reads them (models.scanNumber)', () => {
  it('refuses a leading "+", which InfluxDB reads as an invalid boolean', () => {
    for (const value of ['+1.5', '+1i', '+2', '+1e3', '+.5', '+0']) {
      for (const line of [`m v=${value} 1`, `m v=${value}`, `m,t=a v=${value},s="x" 1`]) {
        const { lines, errors } = scan(line);
        expect({ line, lines }).toEqual({ line, lines: [] });
        expect(errors).toEqual([{ line: 1, detail: expect.stringContaining('invalid value') }]);
      }
    }
  });

  it('keeps the number forms InfluxDB accepts, signs in the exponent among them', () => {
    const { lines, errors } = scan(
      'm a=-1.5,b=1e+3,c=1E-3,d=.5,e=-.5,f=1.,g=-7i,h=007i,i=1e3,j=0 1',
    );
    expect(errors).toEqual([]);
    expect(lines).toEqual(['m a=-1.5,b=1e+3,c=1E-3,d=.5,e=-.5,f=1.,g=-7i,h=007i,i=1e3,j=0 1']);
  });

  it('refuses the other forms InfluxDB refuses', () => {
    for (const value of [
      '-',
      '.',
      '1.5i',
      '1e3i',
      '1e',
      '--1',
      '1_000',
      '0x10',
      'NaN',
      'Inf',
      '1e400',
    ]) {
      const { lines, errors } = scan(`m v=${value} 1`);
      expect({ value, lines }).toEqual({ value, lines: [] });
      expect(errors).toHaveLength(1);
    }
  });
});

describe('the series key, as InfluxDB 1.x limits it (MaxKeyLength)', () => {
  const limits = DEFAULT_TELEMETRY_LIMITS;
  // 64 tags of 256-byte keys and 1,024-byte values: within every platform limit.
  const tags = Array.from(
    { length: 64 },
    (_, i) => `,${String(i).padStart(3, '0').padEnd(256, 'k')}=${'v'.repeat(1024)}`,
  ).join('');

  it('refuses a line whose key and field key exceed 65,535 bytes, on both readers', () => {
    const line = `m${tags} v=1 1`;
    const { lines, errors } = scan(line);
    expect(lines).toEqual([]);
    expect(errors).toEqual([
      {
        line: 1,
        detail: expect.stringContaining(`InfluxDB stores at most ${MAX_SERIES_KEY_BYTES}`),
      },
    ]);
    expect(parseLineProtocol(line, options()).errors).toEqual(errors);
    // The same point as a string field goes the text path.
    expect(scan(`m${tags} v="x" 1`).errors).toEqual(errors);
  });

  it('counts bytes, escapes and the field key as InfluxDB does', () => {
    // measurement + tags of exactly 65,535 - 4 - 1 bytes, and a 1-byte field key: accepted.
    const key = (length: number): string => `m,t=${'é'.repeat((length - 4) / 2)}`;
    const fits = key(MAX_SERIES_KEY_BYTES - 5);
    const big = { ...limits, maxTagValueLength: 40_000 };
    expect(Buffer.byteLength(fits)).toBe(MAX_SERIES_KEY_BYTES - 5);
    expect(scan(`${fits} v=1 1`, { limits: big }).errors).toEqual([]);
    expect(scan(`${fits} vw=1 1`, { limits: big }).errors).toHaveLength(1);
    // An escaped space is two bytes in the key InfluxDB reads.
    const spaces = `m,t=${'\\ '.repeat((MAX_SERIES_KEY_BYTES - 11) / 2)}`;
    expect(scan(`${spaces}xy v=1 1`, { limits: big }).errors).toEqual([]);
    expect(scan(`${spaces}xyz v=1 1`, { limits: big }).errors).toHaveLength(1);
  });

  it('refuses the same point sent as JSON', () => {
    const tagObject = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [
        String(i).padStart(3, '0').padEnd(256, 'k'),
        'v'.repeat(1024),
      ]),
    );
    const { points, errors } = parseJsonPoints(
      { points: [{ measurement: 'm', tags: tagObject, fields: { v: 1 }, time: 1 }] },
      { precision: 'ns', defaultTimestamp: 1n, limits },
    );
    expect(points).toEqual([]);
    expect(errors).toEqual([
      expect.objectContaining({ detail: expect.stringContaining('series key') }),
    ]);
  });
});

describe('work bounded while reading', () => {
  it('stops a line of 100,000 fields at the first one past the limit, in linear time', () => {
    const fields = Array.from({ length: 100_000 }, (_, i) => `f${i}=1`).join(',');
    for (const line of [`m ${fields} 1`, `m ${fields},s="x" 1`]) {
      const started = performance.now();
      const { errors } = scan(line);
      expect(errors).toEqual([{ line: 1, detail: 'more than 200 fields: the limit is 200' }]);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
    const tagList = Array.from({ length: 100_000 }, (_, i) => `t${i}=a`).join(',');
    expect(scan(`m,${tagList} v=1 1`).errors).toEqual([
      { line: 1, detail: 'more than 64 tags: the limit is 64' },
    ]);
  });

  it('finds a duplicate among many keys without comparing every pair', () => {
    const limits = {
      ...DEFAULT_TELEMETRY_LIMITS,
      maxFieldsPerPoint: 100_000,
      maxTagsPerPoint: 100_000,
    };
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}=1`).join(',');
    const started = performance.now();
    expect(scan(`m ${keys},k0=2 1`, { limits }).lines).toHaveLength(1);
    expect(scan(`m,${keys.replaceAll('=1', '=a')},k0=a v=1 1`, { limits }).errors).toEqual([
      { line: 1, detail: 'duplicate tag "k0"' },
    ]);
    // Linear: about 1 s here on a busy 2-core machine; pairwise comparison takes minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('finds a repeated key of a wide plain line on the byte path too', () => {
    const fields = Array.from({ length: 40 }, (_, i) => `f${i}=${i}`);
    const { lines } = scan(`m ${fields.join(',')},f3=99 1`);
    expect(lines).toEqual([`m ${fields.join(',').replace('f3=3', 'f3=99')} 1`]);
    expect(scan(`m ${fields.join(',')} 1`).lines).toEqual([`m ${fields.join(',')} 1`]);
    const tags = Array.from({ length: 40 }, (_, i) => `t${i}=a`).join(',');
    expect(scan(`m,${tags},t20=b v=1 1`).errors).toEqual([
      { line: 1, detail: 'duplicate tag "t20"' },
    ]);
  });

  it('lists at most maxListedErrors bad lines and counts the rest', () => {
    const body = Array.from({ length: 1_000 }, (_, i) => (i % 2 ? `m v=${i} ${i}` : 'x')).join(
      '\n',
    );
    for (const read of [
      (o: LineProtocolOptions) => scanLineProtocol(body, o),
      (o: LineProtocolOptions) => parseLineProtocol(body, o),
    ]) {
      const result = read(options({ maxListedErrors: 3 }));
      expect(result.errors).toEqual([1, 3, 5].map((line) => ({ line, detail: 'missing fields' })));
      expect(result.errorCount).toBe(500);
      expect(read(options()).errors).toHaveLength(500);
    }
  });

  it('stops a body of bad lines at the batch limit, refused lines counting as points', () => {
    const body = Buffer.from('x\n'.repeat(8 * 1024 * 1024));
    const started = performance.now();
    const result = scanLineProtocol(body, options({ maxListedErrors: 100 }));
    expect(result.truncated).toBe(true);
    expect(result.errors).toHaveLength(100);
    expect(result.errorCount).toBe(DEFAULT_TELEMETRY_LIMITS.maxPointsPerBatch);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('skips a body of comments in linear time', () => {
    const body = Buffer.from('# c\n'.repeat(4 * 1024 * 1024));
    const started = performance.now();
    expect(scanLineProtocol(body, options()).errorCount).toBe(0);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('names line protocol cannot carry', () => {
  it('refuses a measurement starting with "#", which would be written as a comment', () => {
    const { errors } = parseJsonPoints(
      { points: [{ measurement: '#m', fields: { v: 1 }, time: 1 }] },
      { precision: 'ns', defaultTimestamp: 1n, limits: DEFAULT_TELEMETRY_LIMITS },
    );
    expect(errors).toEqual([expect.objectContaining({ detail: expect.stringContaining('"#"') })]);
  });
});

describe('field types, as InfluxDB checks them', () => {
  it('refuses a line whose type conflicts with an earlier line of the same request', () => {
    const fieldTypes = new RequestFieldTypes(stored({}));
    const { lines, errors } = scan('m v=1i 1700000000000000000\nm v=2 1700000000000000001', {
      fieldTypes,
    });
    expect(lines).toEqual(['m v=1i 1700000000000000000']);
    expect(errors).toEqual([
      {
        line: 2,
        detail:
          'field type conflict: input field "v" on measurement "m" is type float, already exists as type integer',
      },
    ]);
    expect(fieldTypes.newFields()).toEqual(new Map([['m', new Map([['v', 'integer']])]]));
  });

  it('refuses lines that conflict with stored types, on the byte path and the text path', () => {
    const fieldTypes = new RequestFieldTypes(stored({ m: { v: 'integer', s: 'string' } }));
    const body = [
      'm v=1 1', // float on the byte path
      'm v=1u 2', // unsigned, stored as an integer
      'm,t=a v=2i 3',
      'm s=1i 4',
      'm s="x",v=true 5', // text path (a string value)
      'n v=1 6',
    ].join('\n');
    const { lines, errors } = scan(body, { fieldTypes });
    expect(lines).toEqual(['m v=1i 2', 'm,t=a v=2i 3', 'n v=1 6']);
    expect(errors.map((error) => [error.line, error.detail])).toEqual([
      [1, expect.stringContaining('is type float, already exists as type integer')],
      [4, expect.stringContaining('input field "s" on measurement "m" is type integer')],
      [5, expect.stringContaining('input field "v" on measurement "m" is type boolean')],
    ]);
    expect(fieldTypes.newFields()).toEqual(new Map([['n', new Map([['v', 'float']])]]));
  });

  it('records nothing of a refused line', () => {
    const fieldTypes = new RequestFieldTypes(stored({ m: { v: 'float' } }));
    scan('m v=1i,w=2i 1\nm w=1 2', { fieldTypes });
    expect(fieldTypes.newFields()).toEqual(new Map([['m', new Map([['w', 'float']])]]));
  });
});
