import { RequestFieldTypes, type StoredFieldType } from './field-types';
import { parseLineProtocol, type LineProtocolOptions } from './line-protocol.parser';
import { scanLineProtocol } from './line-protocol.scanner';
import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';

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
