import { hostileJsonStrings, hostileJsonValues } from './hostile-corpus';
import type { AppFleet, FreshToken, HostileRun } from './hostile-run';
import { withRawLeaf } from './openapi-doors';
import type { SeededRandom } from './seeded-random';

const REQUEST_TIMEOUT_MS = 15_000;
const GOOD_MAPPING =
  'records.{"measurement": "production", "tags": {"line": line}, "fields": {"produced": produced}, "time": at}';
const SAMPLE = { records: [{ line: 'L1', produced: 118, at: '2026-11-24T08:00:00Z' }] };

/**
 * Tenant-supplied code: JSONata that runs long, recurses, allocates, backtracks, or maps to
 * hostile points. Issue item 3 is the first one.
 */
export const HOSTILE_MAPPINGS: {
  label: string;
  mapping: string;
  sample?: unknown;
  /** The sample as JSON text, where the test's own JSON.stringify would overflow its stack. */
  sampleJson?: string;
}[] = [
  { label: 'JSONata $count([1..1000000].($ * 2))', mapping: '$count([1..1000000].($ * 2))' },
  { label: 'JSONata range of 10,000,000', mapping: '$count([1..10000000])' },
  { label: 'JSONata unbounded recursion', mapping: '($f := function($x){ $f($x + 1) }; $f(0))' },
  {
    label: 'JSONata tail-call loop of 10^8',
    mapping: '($f := function($x){ $x > 0 ? $f($x - 1) : 0 }; $f(100000000))',
  },
  {
    label: 'JSONata catastrophic regex',
    mapping: '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)',
  },
  { label: 'JSONata 100 MB string', mapping: '$length($pad("", 100000000))' },
  {
    label: 'JSONata string doubling',
    mapping: '($s := "xxxxxxxxxx"; $reduce([1..24], function($a){ $a & $a }, $s))',
  },
  { label: 'JSONata $eval of itself', mapping: '$eval("$eval(\\"[1..1000000]\\")")' },
  {
    label: 'JSONata sort of 1,000,000',
    mapping: '$count($sort([1..1000000], function($a,$b){ $a < $b }))',
  },
  {
    label: 'mapping of 16,384 characters',
    mapping: `${' '.repeat(16_384 - GOOD_MAPPING.length)}${GOOD_MAPPING}`,
  },
  {
    label: 'mapping of 16,385 characters',
    mapping: `${' '.repeat(16_385 - GOOD_MAPPING.length)}${GOOD_MAPPING}`,
  },
  { label: 'mapping syntax error', mapping: 'records.{' },
  { label: 'mapping with NUL', mapping: 'records\u0000.x' },
  {
    label: 'points with a NUL measurement',
    mapping: '{"measurement": "a\\u0000b", "fields": {"v": 1}}',
  },
  {
    label: 'points with a lone-surrogate tag',
    mapping: '{"measurement": "m", "tags": {"t": "\\ud800"}, "fields": {"v": 1}}',
  },
  { label: 'points with 1e309', mapping: '{"measurement": "m", "fields": {"v": 1e308 * 10}}' },
  {
    label: 'points with 201 fields',
    mapping: '{"measurement": "m", "fields": $merge([1..201].{"f" & $string($): $})}',
  },
  { label: '100,000 points', mapping: '[1..100000].{"measurement": "m", "fields": {"v": $}}' },
  {
    label: 'sample nested 10,000 deep',
    mapping: GOOD_MAPPING,
    sampleJson: `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  },
  { label: 'sample array of 1,000,000', mapping: '$count($)', sample: Array(1_000_000).fill(0) },
];

const DECLARATIONS: {
  type: string;
  config: Record<string, unknown>;
  leaves: (string | number)[][];
}[] = [
  {
    type: 'http-poller',
    config: {
      url: 'http://127.0.0.1:9/production.json',
      intervalSeconds: 60,
      mapping: GOOD_MAPPING,
    },
    leaves: [['url'], ['intervalSeconds'], ['mapping']],
  },
  {
    type: 'mqtt-source',
    config: { url: 'mqtt://127.0.0.1:9', subscriptions: [{ topic: 'plant/#', measurement: 'm' }] },
    leaves: [['url'], ['subscriptions', 0, 'topic'], ['subscriptions', 0, 'measurement']],
  },
];

const HOSTILE_URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[::ffff:7f00:1]:4222/',
  'http://[::7f00:1]:5432/',
  'http://[64:ff9b::7f00:1]/',
  'http://[2002:7f00:1::]/',
  'http://[fec0::1]/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'http://a\u0000b/',
  'http://127.0.0.1:9/\u202E',
];

export async function attackConnectorDoors(
  fleet: AppFleet,
  run: HostileRun,
  token: FreshToken,
  random: SeededRandom,
  perDoor: number,
  created: { app: string; path: string }[],
): Promise<void> {
  const send = async (door: string, label: string, path: string, body: string): Promise<void> => {
    const ingest = await fleet.available('ingest');
    if (!ingest) {
      run.record(door, label, fleet.downReason('ingest'));
      return;
    }
    run.inFlight.set('ingest', `${door} | ${label}`);
    let answered = true;
    try {
      const response = await fetch(`${ingest.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token.get()}`,
          'content-type': 'application/json',
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status === 201) {
        const id = (JSON.parse(text) as { id?: string }).id;
        if (id) created.push({ app: 'ingest', path: `/v1/connectors/${id}` });
      }
      if (response.status >= 500)
        run.record(door, label, `${response.status} ${text.slice(0, 300)}`, true);
      else if (
        response.status >= 400 &&
        !response.headers.get('content-type')?.startsWith('application/problem+json')
      )
        run.record(door, label, `${response.status} not problem+json: ${text.slice(0, 200)}`);
      else run.record(door, label);
    } catch (error) {
      answered = false;
      run.record(
        door,
        label,
        fleet.running('ingest')
          ? `no answer within ${REQUEST_TIMEOUT_MS} ms: ${(error as Error).message}`
          : 'ingest exited',
      );
    } finally {
      if (!answered) await fleet.unstall('ingest');
      run.inFlight.delete('ingest');
    }
  };

  const dryRun = 'connectors POST /v1/connectors/dry-run (mappings)';
  run.door(dryRun);
  for (const one of HOSTILE_MAPPINGS)
    await send(
      dryRun,
      one.label,
      '/v1/connectors/dry-run',
      `{"mapping":${JSON.stringify(one.mapping)},"sample":${one.sampleJson ?? JSON.stringify(one.sample ?? SAMPLE)}}`,
    );

  for (const declaration of DECLARATIONS) {
    const door = `connectors POST /v1/connectors (${declaration.type} config)`;
    run.door(door);
    const base = {
      name: 'hostile',
      type: declaration.type,
      paused: true,
      config: declaration.config,
    };
    const cases: { label: string; body: string; always?: boolean }[] = [
      ...HOSTILE_URLS.map((url) => ({
        label: `config.url=${JSON.stringify(url)}`,
        body: JSON.stringify({ ...base, config: { ...declaration.config, url } }),
        always: true,
      })),
      ...HOSTILE_MAPPINGS.slice(0, 9).map((one) => ({
        label: `config.mapping=${one.label}`,
        body: JSON.stringify({ ...base, config: { ...declaration.config, mapping: one.mapping } }),
        always: true,
      })),
      ...[...hostileJsonStrings, ...hostileJsonValues].flatMap((value) => [
        { label: `name=${value.label}`, body: withRawLeaf(base, ['name'], value.raw) },
        { label: `type=${value.label}`, body: withRawLeaf(base, ['type'], value.raw) },
        ...declaration.leaves.map((leaf) => ({
          label: `config.${leaf.join('.')}=${value.label}`,
          body: withRawLeaf(base, ['config', ...leaf], value.raw),
        })),
      ]),
    ];
    for (const one of random.sample(cases, perDoor, (item) => item.always === true))
      await send(door, one.label, '/v1/connectors', one.body);
  }
}
