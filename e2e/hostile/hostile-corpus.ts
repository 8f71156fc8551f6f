import { DEFAULT_TELEMETRY_LIMITS } from '@iotwins/telemetry';

/**
 * The hostile values the tier sends at every door: text the stores refuse, names that walk
 * paths, numbers at the edges of every representation, sizes around documented limits, and
 * the line-protocol lines that InfluxDB 1.x refuses or crashes on. Each value has a label,
 * which is what a failure names, so a case can be found again here.
 */
export interface HostileText {
  label: string;
  value: string;
  /** Line protocol InfluxDB 1.13 (or an ingest limit) refuses: acknowledging it loses it. */
  refused?: boolean;
}

/** A JSON value as raw text: numbers JSON.stringify cannot write (1e309, -0, 2^63) stay exact. */
export interface HostileJson {
  label: string;
  raw: string;
}

const repeat = (length: number, char = 'x'): string => char.repeat(length);

/** Strings for names, ids, query values and string fields. */
export const hostileStrings: HostileText[] = [
  { label: 'NUL inside', value: 'a\u0000b' },
  { label: 'NUL alone', value: '\u0000' },
  { label: 'C0 controls', value: 'a\u0001\u0007\u001b[31m\u001fz' },
  { label: 'DEL and C1', value: 'a\u007f\u0085\u009fz' },
  { label: 'newline and CR', value: 'a\r\nb' },
  { label: 'tab', value: 'a\tb' },
  { label: 'lone high surrogate', value: 'a\ud800b' },
  { label: 'lone low surrogate', value: '\udc00' },
  { label: 'U+202E right-to-left override', value: 'invoice\u202Eexe.txt' },
  { label: 'zero-width and BOM', value: '\ufeffa\u200bb' },
  { label: 'empty', value: '' },
  { label: 'only spaces', value: '   ' },
  { label: 'path traversal ../x', value: '../x' },
  { label: 'deep traversal', value: '../../../../etc/passwd' },
  { label: 'slash a/b', value: 'a/b' },
  { label: 'encoded slash %2F', value: 'a%2Fb' },
  { label: 'backslash', value: 'a\\b' },
  { label: 'dot', value: '.' },
  { label: 'dot dot', value: '..' },
  { label: 'quotes and escapes', value: 'a"b\'c\\"' },
  { label: 'line-protocol specials', value: 'a,b=c d\\' },
  { label: 'NATS wildcards', value: 'a.*.>' },
  { label: 'SQL and InfluxQL quote', value: "x'; DROP MEASUREMENT m; --" },
  { label: 'regex metacharacters', value: '(a+)+$[' },
  { label: 'Mongo operator', value: '$where' },
  { label: '__proto__', value: '__proto__' },
  { label: 'emoji and astral', value: '\u{1F600}\u{10FFFF}' },
  { label: 'combining marks', value: 'e\u0301\u0301\u0301\u0301' },
  { label: 'percent NUL text', value: 'x%00y' },
  { label: '255 chars', value: repeat(255) },
  { label: '256 chars (name limit)', value: repeat(DEFAULT_TELEMETRY_LIMITS.maxNameLength) },
  { label: '257 chars', value: repeat(DEFAULT_TELEMETRY_LIMITS.maxNameLength + 1) },
  { label: '1025 chars', value: repeat(DEFAULT_TELEMETRY_LIMITS.maxTagValueLength + 1) },
  { label: '65537 chars', value: repeat(DEFAULT_TELEMETRY_LIMITS.maxStringFieldLength + 1) },
  { label: '1 MiB string', value: repeat(1024 * 1024) },
];

/** Raw JSON numbers at the edges, and wrong types. */
export const hostileJsonValues: HostileJson[] = [
  { label: 'number -0', raw: '-0' },
  { label: 'number 2^53+1', raw: '9007199254740993' },
  { label: 'number 2^63', raw: '9223372036854775808' },
  { label: 'number -2^63-1', raw: '-9223372036854775809' },
  { label: 'number 2^64', raw: '18446744073709551616' },
  { label: 'number 1e309 (Infinity)', raw: '1e309' },
  { label: 'number -1e309', raw: '-1e309' },
  { label: 'number huge exponent', raw: '1e999999999' },
  { label: 'number tiny exponent', raw: '1e-999999999' },
  { label: 'number 1e21', raw: '1e21' },
  { label: 'number 5e-324', raw: '5e-324' },
  { label: 'number 1.7976931348623157e308', raw: '1.7976931348623157e308' },
  { label: 'number 400 digits', raw: `1${'0'.repeat(400)}` },
  { label: 'number -1', raw: '-1' },
  { label: 'number 0.5', raw: '0.5' },
  { label: 'type null', raw: 'null' },
  { label: 'type true', raw: 'true' },
  { label: 'type array', raw: '[1,"a",null]' },
  { label: 'type object', raw: '{"a":{"b":1}}' },
  { label: 'type number-as-string', raw: '"1"' },
  { label: 'nested 200 deep', raw: `${'['.repeat(200)}${']'.repeat(200)}` },
  { label: 'array of 100000', raw: `[${Array(100_000).fill('0').join(',')}]` },
  {
    label: 'object __proto__',
    raw: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"p":1}}}',
  },
];

/** Strings as JSON values: JSON.stringify escapes NUL and lone surrogates as \uXXXX, as a client would. */
export const hostileJsonStrings: HostileJson[] = hostileStrings.map((one) => ({
  label: `string ${one.label}`,
  raw: JSON.stringify(one.value),
}));

/** Whole bodies that no schema can describe: they test the parser in front of every route. */
export interface HostileBody {
  label: string;
  contentType: string;
  body: Buffer | string;
}

const deep = (depth: number, open: string, close: string, leaf = '1'): string =>
  `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

export const hostileJsonBodies: HostileBody[] = [
  {
    label: 'JSON nested 10,000 deep (arrays)',
    contentType: 'application/json',
    body: deep(10_000, '[', ']'),
  },
  {
    label: 'JSON nested 10,000 deep (objects)',
    contentType: 'application/json',
    body: deep(10_000, '{"a":', '}'),
  },
  {
    label: 'invalid UTF-8 in a JSON string',
    contentType: 'application/json',
    body: Buffer.concat([
      Buffer.from('{"name":"a'),
      Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
      Buffer.from('b"}'),
    ]),
  },
  {
    label: 'raw NUL and controls in a JSON string',
    contentType: 'application/json',
    body: Buffer.from('{"name":"a\u0000\u0001b"}', 'utf8'),
  },
  { label: 'truncated JSON', contentType: 'application/json', body: '{"name":' },
  { label: 'empty JSON body', contentType: 'application/json', body: '' },
  { label: 'JSON null', contentType: 'application/json', body: 'null' },
  { label: 'JSON array body', contentType: 'application/json', body: '[]' },
  { label: 'JSON string body', contentType: 'application/json', body: '"x"' },
  { label: 'NaN literal', contentType: 'application/json', body: '{"value":NaN}' },
  { label: 'leading plus number', contentType: 'application/json', body: '{"value":+1.5}' },
  { label: 'duplicate keys', contentType: 'application/json', body: '{"name":"a","name":"b"}' },
  {
    label: '__proto__ and constructor keys',
    contentType: 'application/json',
    body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
  },
  {
    label: 'JSON array of 1,000,000',
    contentType: 'application/json',
    body: `[${Array(1_000_000).fill('0').join(',')}]`,
  },
  {
    label: 'JSON body of 1 MiB + 1 string',
    contentType: 'application/json',
    body: `{"name":"${repeat(1024 * 1024 + 1)}"}`,
  },
  { label: 'BOM before JSON', contentType: 'application/json', body: '\ufeff{}' },
  {
    label: 'UTF-16 JSON',
    contentType: 'application/json; charset=utf-16',
    body: Buffer.from('{"a":1}', 'utf16le'),
  },
  { label: 'XML as JSON', contentType: 'application/json', body: '<?xml version="1.0"?><a/>' },
  {
    label: 'form body',
    contentType: 'application/x-www-form-urlencoded',
    body: 'a=%00&b=%FF&__proto__[x]=1',
  },
  { label: 'text body', contentType: 'text/plain', body: 'm v=1' },
  { label: 'unknown content type', contentType: 'application/x-hostile', body: '\u0000\u0001' },
  {
    label: 'broken multipart',
    contentType: 'multipart/form-data; boundary=zz',
    body: '--zz\r\nContent-Disposition: form-data; name="file"; filename="../../x"\r\n\r\nabc',
  },
  { label: 'gzip header, not gzip', contentType: 'application/json', body: 'not gzip at all' },
];

/** Series key of 64 tags with 256-byte keys and 1,024-byte values: within every ingest limit, past InfluxDB's 65,535 bytes. */
function longSeriesKeyLine(measurement: string): string {
  const tags = Array.from(
    { length: DEFAULT_TELEMETRY_LIMITS.maxTagsPerPoint },
    (_, i) => `${String(i).padStart(3, '0')}${repeat(253, 'k')}=${repeat(1024, 'v')}`,
  );
  return `${measurement},${tags.join(',')} v=1`;
}

/** Line protocol InfluxDB 1.13 refuses, crashes on, or stores differently than asked. */
export function lineProtocolCorpus(measurement: string): HostileText[] {
  const m = measurement;
  const fields = (count: number): string =>
    Array.from({ length: count }, (_, i) => `f${i}=${i}`).join(',');
  const tags = (count: number): string =>
    Array.from({ length: count }, (_, i) => `t${i}=${i}`).join(',');
  return [
    { label: 'LP signed float +1.5', value: `${m} v=+1.5`, refused: true },
    { label: 'LP signed integer +1i', value: `${m} v=+1i`, refused: true },
    { label: 'LP signed +2', value: `${m} v=+2`, refused: true },
    { label: 'LP signed exponent +1e3', value: `${m} v=+1e3`, refused: true },
    { label: 'LP series key over 65,535 bytes', value: longSeriesKeyLine(m), refused: true },
    { label: 'LP crasher 0 \\\\="="', value: '0 \\\\="="', refused: true },
    { label: 'LP crasher \\0=","=3', value: `${m} \\0=","=3,"="`, refused: true },
    { label: 'LP empty field value', value: `${m} v=`, refused: true },
    { label: 'LP no fields', value: m, refused: true },
    { label: 'LP no measurement', value: ',t=1 v=1', refused: true },
    { label: 'LP empty tag value', value: `${m},t= v=1`, refused: true },
    { label: 'LP empty tag key', value: `${m},=x v=1`, refused: true },
    { label: 'LP empty field key', value: `${m} =1`, refused: true },
    { label: 'LP unterminated string', value: `${m} v="abc`, refused: true },
    { label: 'LP trailing backslash', value: `${m} v=1\\` },
    { label: 'LP escaped space in measurement', value: `${m}\\ x,t\\ k=a\\,b v="q\\"q"` },
    { label: 'LP float 1e309', value: `${m} v=1e309`, refused: true },
    { label: 'LP NaN', value: `${m} v=NaN`, refused: true },
    { label: 'LP Inf', value: `${m} v=Inf`, refused: true },
    { label: 'LP -0', value: `${m} v=-0` },
    { label: 'LP integer 2^63', value: `${m} v=9223372036854775808i`, refused: true },
    { label: 'LP integer -2^63-1', value: `${m} v=-9223372036854775809i`, refused: true },
    { label: 'LP unsigned 2^64', value: `${m} v=18446744073709551616u`, refused: true },
    { label: 'LP unsigned 2^63', value: `${m} v=9223372036854775808u`, refused: true },
    { label: 'LP timestamp 2^63', value: `${m} v=1 9223372036854775808`, refused: true },
    { label: 'LP timestamp min-1', value: `${m} v=1 -9223372036854775807` },
    { label: 'LP timestamp words', value: `${m} v=1 soon`, refused: true },
    { label: 'LP timestamp float', value: `${m} v=1 1.5`, refused: true },
    { label: 'LP duplicate tag', value: `${m},a=1,a=2 v=1` },
    { label: 'LP duplicate field', value: `${m} v=1,v=2i` },
    { label: 'LP field named time', value: `${m} time=1`, refused: true },
    { label: 'LP tag named time', value: `${m},time=1 v=1`, refused: true },
    { label: 'LP NUL in measurement', value: `${m}\u0000x v=1`, refused: true },
    { label: 'LP NUL in string field', value: `${m} v="a\u0000b"` },
    { label: 'LP lone surrogate in tag', value: `${m},t=a\ud800 v=1` },
    { label: 'LP U+202E in tag', value: `${m},t=a\u202Eb v=1` },
    { label: 'LP vertical tab end', value: `${m} v=1\u000b` },
    { label: 'LP CR only separators', value: `${m} v=1\r${m} v=2\r` },
    { label: 'LP 200 fields', value: `${m} ${fields(200)}` },
    { label: 'LP 201 fields', value: `${m} ${fields(201)}`, refused: true },
    { label: 'LP 64 tags', value: `${m},${tags(64)} v=1` },
    { label: 'LP 65 tags', value: `${m},${tags(65)} v=1`, refused: true },
    { label: 'LP measurement 256', value: `${repeat(256, 'm')} v=1` },
    { label: 'LP measurement 257', value: `${repeat(257, 'm')} v=1`, refused: true },
    { label: 'LP tag value 1024', value: `${m},t=${repeat(1024)} v=1` },
    { label: 'LP tag value 1025', value: `${m},t=${repeat(1025)} v=1`, refused: true },
    { label: 'LP string 65536', value: `${m} v="${repeat(65_536)}"` },
    { label: 'LP string 65537', value: `${m} v="${repeat(65_537)}"`, refused: true },
    { label: 'LP one line of 100,000 fields', value: `${m} ${fields(100_000)}` },
    {
      label: 'LP 30,000 bad lines',
      value: Array(30_000).fill(`${m} bad`).join('\n'),
      refused: true,
    },
    {
      label: 'LP 10,000 field-type conflicts',
      value: [`${m} v=1i`, ...Array(10_000).fill(`${m} v="s"`)].join('\n'),
    },
    { label: 'LP 50,001 lines', value: Array(50_001).fill(`${m} v=1`).join('\n') },
  ];
}

/** Invalid UTF-8 as bytes, in a line protocol body. */
export function invalidUtf8Line(measurement: string): Buffer {
  return Buffer.concat([
    Buffer.from(`${measurement},t=a`),
    Buffer.from([0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
    Buffer.from(' v=1\n'),
  ]);
}

/**
 * Percent-encoding that also writes a lone surrogate, as its WTF-8 bytes (what a client that
 * does not check sends), where encodeURIComponent throws.
 */
export function percentEncode(value: string): string {
  return [...value]
    .map((char) => {
      try {
        return encodeURIComponent(char);
      } catch {
        const code = char.charCodeAt(0);
        return [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          .map((byte) => `%${byte.toString(16).toUpperCase()}`)
          .join('');
      }
    })
    .join('');
}

/** Path segments: percent-encoded forms the router and the handler may read differently. */
export const hostilePathSegments: HostileText[] = [
  ...hostileStrings
    .filter((one) => one.value.length <= 2048)
    .map((one) => ({ label: one.label, value: percentEncode(one.value) })),
  { label: 'raw %00', value: 'a%00b' },
  { label: 'raw %2F', value: '..%2Fx' },
  { label: 'double-encoded %252F', value: 'a%252Fb' },
  { label: 'invalid percent %', value: 'a%zz' },
  { label: 'lone %', value: '%' },
  { label: 'invalid UTF-8 %FF', value: 'a%FFb' },
  { label: 'overlong UTF-8 %C0%AF', value: '%C0%AF' },
  { label: 'encoded surrogate %ED%A0%80', value: '%ED%A0%80' },
  { label: 'backslash %5C', value: '..%5C..%5Cx' },
  { label: '8 KiB segment', value: repeat(8 * 1024) },
];
