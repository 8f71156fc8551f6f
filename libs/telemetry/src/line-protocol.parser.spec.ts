import { DEFAULT_TELEMETRY_LIMITS } from './telemetry-limits';
import { parseLineProtocol, type LineProtocolOptions } from './line-protocol.parser';
import { serializePoint } from './line-protocol.serializer';
import type { Point } from './point';

const options: LineProtocolOptions = {
  precision: 'ns',
  defaultTimestamp: 1_700_000_000_000_000_000n,
  // Parsing as such keeps unsigned values; the store rule is tested on its own below.
  limits: { ...DEFAULT_TELEMETRY_LIMITS, unsignedAsInteger: false },
};
const parse = (body: string, overrides: Partial<LineProtocolOptions> = {}) =>
  parseLineProtocol(body, { ...options, ...overrides });
const withoutLine = ({ line: _line, ...point }: Point): Point => point;
const one = (body: string): Point => {
  const { points, errors } = parse(body);
  expect(errors).toEqual([]);
  expect(points).toHaveLength(1);
  return withoutLine(points[0]!);
};

describe('parseLineProtocol', () => {
  it('keeps the sign of a negative-zero float through serialize and parse', () => {
    const point = one('m v=-0 1');
    expect(Object.is(point.fields.v?.value, -0)).toBe(true);
    expect(serializePoint(point)).toBe('m v=-0 1');
  });

  it('reads measurement, tags, typed fields and timestamp', () => {
    expect(
      one(
        'turbine,site=north,unit=7 power=1.5,rpm=1200i,count=3u,ok=t,state="run" 1700000000123456789',
      ),
    ).toEqual({
      measurement: 'turbine',
      tags: { site: 'north', unit: '7' },
      fields: {
        power: { type: 'float', value: 1.5 },
        rpm: { type: 'integer', value: 1200n },
        count: { type: 'uinteger', value: 3n },
        ok: { type: 'boolean', value: true },
        state: { type: 'string', value: 'run' },
      },
      timestamp: 1_700_000_000_123_456_789n,
    });
  });

  it('unescapes commas, spaces and equals signs where line protocol escapes them', () => {
    const point = one('wind\\ speed\\,avg,loc\\ ation=a\\,b\\=c field\\=key\\ x=1 5');
    expect(point.measurement).toBe('wind speed,avg');
    expect(point.tags).toEqual({ 'loc ation': 'a,b=c' });
    expect(Object.keys(point.fields)).toEqual(['field=key x']);
  });

  it('unescapes quotes and backslashes in string fields, and keeps newlines, commas and spaces in them', () => {
    const point = one('log msg="say \\"hi\\", C:\\\\dir\nnext line, a=b" 1');
    expect(point.fields.msg).toEqual({
      type: 'string',
      value: 'say "hi", C:\\dir\nnext line, a=b',
    });
  });

  it('keeps unicode as it is', () => {
    const point = one('températur,städt=Zürich wert=21.5,note="≈ 21 °C ✓" 1');
    expect(point).toMatchObject({ measurement: 'températur', tags: { städt: 'Zürich' } });
    expect(point.fields.note).toEqual({ type: 'string', value: '≈ 21 °C ✓' });
  });

  it('reads every boolean spelling and float form InfluxDB accepts', () => {
    const point = one('m a=T,b=FALSE,c=True,d=f,e=-1.5e3,f=.5,g=1,h=2.,i=1E-2 1');
    expect(point.fields).toEqual({
      a: { type: 'boolean', value: true },
      b: { type: 'boolean', value: false },
      c: { type: 'boolean', value: true },
      d: { type: 'boolean', value: false },
      e: { type: 'float', value: -1500 },
      f: { type: 'float', value: 0.5 },
      g: { type: 'float', value: 1 },
      h: { type: 'float', value: 2 },
      i: { type: 'float', value: 0.01 },
    });
  });

  it('applies the precision and stamps lines without a time with the default', () => {
    const { points } = parse('m v=1 1700000000\nm v=2', { precision: 's' });
    expect(points.map((p) => p.timestamp)).toEqual([
      1_700_000_000_000_000_000n,
      options.defaultTimestamp,
    ]);
  });

  it('keeps 64-bit integers exactly and refuses values past the range', () => {
    expect(one('m v=9223372036854775807i 1').fields.v).toEqual({
      type: 'integer',
      value: 9223372036854775807n,
    });
    expect(one('m v=18446744073709551615u 1').fields.v).toEqual({
      type: 'uinteger',
      value: 18446744073709551615n,
    });
    expect(parse('m v=9223372036854775808i 1').errors).toEqual([
      { line: 1, detail: 'integer field "v" is out of the 64-bit range' },
    ]);
  });

  it('keeps good lines and reports each bad one with its number and reason', () => {
    const body = [
      'm,host=a v=1 1',
      'm,host=b v= 2',
      '# a comment',
      '',
      'm,host=c v=abc 3',
      'm,host v=1 4',
      'm,host=d 5',
      'm,host=e v="open 6',
    ].join('\n');
    const { points, errors } = parse(body);
    expect(points.map((p) => p.tags.host)).toEqual(['a']);
    expect(errors).toEqual([
      { line: 2, detail: 'missing field value for field "v"' },
      { line: 5, detail: 'invalid value "abc" for field "v"' },
      { line: 6, detail: 'missing tag value for tag "host"' },
      { line: 7, detail: 'missing fields' },
      { line: 8, detail: 'unterminated string value for field "v"' },
    ]);
  });

  it('counts lines inside multi-line string values when numbering errors', () => {
    const { errors } = parse('m s="a\nb" 1\nm v=bad 2');
    expect(errors).toEqual([{ line: 3, detail: 'invalid value "bad" for field "v"' }]);
  });

  it('accepts Windows line endings and surrounding whitespace', () => {
    expect(parse('m v=1 1\r\n  m v=2 2  \r\n').points).toHaveLength(2);
  });

  it('refuses duplicate keys, reserved names, NaN and a bad timestamp', () => {
    const { errors } = parse(
      ['m,a=1,a=2 v=1', 'm time=1', 'm v=NaN', 'm v=1 12x', 'm v=1 1 2'].join('\n'),
    );
    expect(errors.map((e) => e.detail)).toEqual([
      'duplicate tag "a"',
      'field key "time" is reserved',
      'invalid value "NaN" for field "v"',
      'invalid timestamp "12x"',
      'invalid timestamp "1 2"',
    ]);
  });

  it('enforces the limits per point and stops at the batch limit', () => {
    const limits = {
      ...DEFAULT_TELEMETRY_LIMITS,
      maxFieldsPerPoint: 2,
      maxPointsPerBatch: 2,
      maxStringFieldLength: 3,
    };
    const bad = parse('m a=1,b=2,c=3 1\nm s="long" 1', {
      limits: { ...limits, maxPointsPerBatch: 5 },
    });
    expect(bad.errors).toEqual([
      { line: 1, detail: 'more than 2 fields: the limit is 2' },
      { line: 2, detail: 'string field "s" is longer than 3 characters' },
    ]);
    // Refused lines count towards the batch limit as stored ones do.
    const { points, errors, truncated } = parse('m v=1 1\nm x 1\nm v=2 2\nm v=3 3', { limits });
    expect(errors).toEqual([{ line: 2, detail: 'missing fields' }]);
    expect(points).toHaveLength(1);
    expect(truncated).toBe(true);
  });
});

describe('unsigned values for a store without them (InfluxDB 1.x)', () => {
  it('keeps them as integers and refuses those above 2^63-1', () => {
    const { points, errors } = parse('m v=42u 1\nm v=9223372036854775808u 2', {
      limits: DEFAULT_TELEMETRY_LIMITS,
    });
    expect(points.map((p) => [p.fields.v, serializePoint(p)])).toEqual([
      [{ type: 'integer', value: 42n }, 'm v=42i 1'],
    ]);
    expect(errors).toEqual([
      {
        line: 2,
        detail: 'unsigned field "v" is above 2^63-1, which the time-series store cannot hold',
      },
    ]);
  });
});

describe('serializePoint', () => {
  it('round-trips every escape and type through parse', () => {
    const point: Point = {
      measurement: 'a b,c=d\\e',
      tags: { 'k,1': 'v =,\\x', z: 'ü' },
      fields: {
        'f =,': { type: 'string', value: 'q"uo\\te\nline' },
        i: { type: 'integer', value: -9223372036854775808n },
        u: { type: 'uinteger', value: 18446744073709551615n },
        b: { type: 'boolean', value: false },
        x: { type: 'float', value: 1e21 },
        y: { type: 'float', value: 3 },
        z: { type: 'float', value: -0.000001 },
      },
      timestamp: -1_000_000_000n,
    };
    expect(one(serializePoint(point))).toEqual(point);
  });

  it('forwards a parsed line as it came when it has a nanosecond time, and adds the time otherwise', () => {
    const [withTime, withoutTime] = parse('m,t=a v=1i 42\nm,t=a v=1i').points;
    expect(serializePoint(withTime!)).toBe('m,t=a v=1i 42');
    expect(serializePoint(withoutTime!)).toBe(`m,t=a v=1i ${options.defaultTimestamp}`);
    const [seconds] = parse('m v=1 42', { precision: 's' }).points;
    expect(serializePoint(seconds!)).toBe('m v=1 42000000000');
  });
});
