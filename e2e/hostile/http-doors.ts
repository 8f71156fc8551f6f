import { uniqueName } from '@iotwins/testing';
import {
  hostileJsonBodies,
  hostileJsonStrings,
  hostileJsonValues,
  hostilePathSegments,
  hostileStrings,
  invalidUtf8Line,
  lineProtocolCorpus,
  percentEncode,
} from './hostile-corpus';
import type { AppFleet, FreshToken, HostileRun } from './hostile-run';
import { exampleOf, leavesOf, withRawLeaf, type HttpDoor, type JsonSchema } from './openapi-doors';
import type { SeededRandom } from './seeded-random';

export interface HttpCase {
  label: string;
  path: string;
  contentType?: string;
  body?: Buffer | string;
  /** Cases every sample keeps: the ones the issue names. */
  always?: boolean;
  /** Line protocol that InfluxDB or an ingest limit refuses: a 2xx would acknowledge a loss. */
  mustRefuse?: boolean;
}

const REQUEST_TIMEOUT_MS = 15_000;
/** Routes that speak InfluxDB's line protocol: they also get the line-protocol corpus. */
const LINE_PROTOCOL_ROUTES = new Set(['POST /write', 'POST /api/v2/write', 'POST /v1/write']);

export function doorName(door: HttpDoor): string {
  return `http ${door.app} ${door.method} ${door.template}`;
}

/**
 * The request a client would send to the door, as a template to mutate: path parameters
 * named for this run, required query parameters from their schema, a body from its schema.
 */
function baseline(door: HttpDoor): {
  pathValues: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
} {
  const pathValues: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const parameter of door.parameters) {
    if (parameter.in === 'path') {
      // The attacker's own tenant on reads; on writes a tenant it is not, so a hostile body
      // cannot change the shared tenant's settings (the route refuses before the body).
      if (parameter.name === 'tenant')
        pathValues[parameter.name] = door.method === 'GET' ? 'tenant-a' : 'tenant-hostile';
      else pathValues[parameter.name] = uniqueName('hx').replace(/[^a-z0-9-]/g, '-');
    } else if (parameter.in === 'query' && parameter.required) {
      const value = parameter.example ?? exampleOf(parameter.schema, door.document);
      query[parameter.name] = String(value);
    }
  }
  const body = door.bodyType?.includes('json')
    ? exampleOf(door.bodySchema, door.document)
    : undefined;
  return { pathValues, query, body };
}

function buildPath(template: string, pathValues: Record<string, string>, query: string): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(pathValues[name] ?? 'x'),
  );
  return query ? `${path}?${query}` : path;
}

function encodeQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');
}

/** Every hostile case of one door; the caller samples them. */
export function httpCases(door: HttpDoor): HttpCase[] {
  const { pathValues, query, body } = baseline(door);
  const jsonBody = body === undefined ? undefined : JSON.stringify(body);
  const contentType = door.bodyType?.includes('json') ? 'application/json' : door.bodyType;
  const plain = (path: string, label: string, always = false): HttpCase => ({
    label,
    path,
    contentType: jsonBody === undefined ? undefined : contentType,
    body: jsonBody,
    always,
  });
  const cases: HttpCase[] = [];
  const queryText = encodeQuery(query);

  for (const parameter of door.parameters.filter((one) => one.in === 'path')) {
    for (const segment of hostilePathSegments) {
      const path = door.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
        name === parameter.name ? segment.value : encodeURIComponent(pathValues[name] ?? 'x'),
      );
      cases.push(
        plain(
          queryText ? `${path}?${queryText}` : path,
          `path ${parameter.name}=${segment.label}`,
          /NUL|traversal|%2F|a\/b/.test(segment.label),
        ),
      );
    }
  }

  const basePath = buildPath(door.template, pathValues, '');
  for (const parameter of door.parameters.filter((one) => one.in === 'query')) {
    const others = { ...query };
    delete others[parameter.name];
    const prefix = encodeQuery(others);
    const withValue = (encoded: string): string =>
      `${basePath}?${prefix ? `${prefix}&` : ''}${encodeURIComponent(parameter.name)}=${encoded}`;
    for (const text of hostileStrings.filter((one) => one.value.length <= 4096))
      cases.push(
        plain(
          withValue(percentEncode(text.value)),
          `query ${parameter.name}=${text.label}`,
          text.label === 'NUL inside',
        ),
      );
    for (const number of hostileJsonValues.filter((one) => one.label.startsWith('number')))
      cases.push(
        plain(withValue(encodeURIComponent(number.raw)), `query ${parameter.name}=${number.label}`),
      );
    for (const raw of [
      'NaN',
      'Infinity',
      '+1.5',
      '0x10',
      '1_000',
      '%00',
      '%FF',
      '%',
      '2026-13-45T25:61:61Z',
      '-292278994-08-17T07:12:55.807Z',
    ])
      cases.push(plain(withValue(raw), `query ${parameter.name}=raw ${raw}`));
    cases.push(
      plain(
        `${withValue('a')}&${encodeURIComponent(parameter.name)}=b`,
        `query ${parameter.name} repeated`,
      ),
    );
  }

  if (jsonBody !== undefined && door.bodyType?.includes('json')) {
    const leaves = leavesOf(body, door.bodySchema, door.document).slice(0, 12);
    for (const leaf of leaves) {
      const where = leaf.path.join('.') || '(body)';
      for (const value of [
        ...hostileJsonStrings,
        ...hostileJsonValues,
        ...sizesAround(leaf.schema),
      ])
        cases.push({
          label: `body ${where}=${value.label}`,
          path: buildPath(door.template, pathValues, queryText),
          contentType: 'application/json',
          body: withRawLeaf(body, leaf.path, value.raw),
          always: value.label === 'string NUL inside',
        });
    }
  }

  if (door.method !== 'GET' && door.method !== 'DELETE') {
    for (const hostile of hostileJsonBodies)
      cases.push({
        label: `raw body: ${hostile.label}`,
        path: buildPath(door.template, pathValues, queryText),
        contentType: hostile.contentType,
        body: hostile.body,
        always: /10,000|invalid UTF-8/.test(hostile.label),
      });
  }

  if (LINE_PROTOCOL_ROUTES.has(`${door.method} ${door.template}`)) {
    const lpQuery =
      door.template === '/write'
        ? 'db=tenant-a&precision=ns'
        : door.template === '/api/v2/write'
          ? 'org=tenant-a&bucket=tenant-a&precision=ns'
          : queryText;
    const measurement = uniqueName('hostile_lp');
    const path = `${door.template}?${lpQuery}`;
    for (const line of lineProtocolCorpus(measurement))
      cases.push({
        label: `line protocol: ${line.label}`,
        path,
        contentType: 'text/plain',
        body: line.value,
        always: true,
        mustRefuse: line.refused,
      });
    cases.push({
      label: 'line protocol: invalid UTF-8 bytes',
      path,
      contentType: 'text/plain',
      body: invalidUtf8Line(measurement),
      always: true,
      mustRefuse: true,
    });
    cases.push({
      label: 'line protocol: 16 MiB of "x\\n"',
      path,
      contentType: 'text/plain',
      body: 'x\n'.repeat(8 * 1024 * 1024),
      always: true,
    });
    cases.push({
      label: 'line protocol: 16 MiB + 1 byte',
      path,
      contentType: 'text/plain',
      body: `${'x\n'.repeat(8 * 1024 * 1024)}x`,
      always: true,
    });
  }
  return cases;
}

/** Strings just below, at and above a documented length limit; numbers around a bound. */
function sizesAround(schema: JsonSchema): { label: string; raw: string }[] {
  const sizes: { label: string; raw: string }[] = [];
  if (schema.maxLength !== undefined)
    for (const length of [schema.maxLength - 1, schema.maxLength, schema.maxLength + 1])
      if (length >= 0)
        sizes.push({
          label: `string of ${length} (maxLength ${schema.maxLength})`,
          raw: JSON.stringify('y'.repeat(length)),
        });
  if (schema.maximum !== undefined)
    sizes.push({ label: `maximum+1 (${schema.maximum})`, raw: String(schema.maximum + 1) });
  if (schema.minimum !== undefined)
    sizes.push({ label: `minimum-1 (${schema.minimum})`, raw: String(schema.minimum - 1) });
  if (schema.maxItems !== undefined)
    sizes.push({
      label: `maxItems+1 (${schema.maxItems})`,
      raw: JSON.stringify(Array(schema.maxItems + 1).fill(exampleLeaf(schema.items))),
    });
  return sizes;
}

function exampleLeaf(schema: JsonSchema | undefined): unknown {
  return schema?.type === 'number' || schema?.type === 'integer' ? 1 : 'x';
}

/**
 * A problem+json answer, as every error of the platform must be (RFC 9457); the MLflow-compatible
 * routes answer MLflow's own `{error_code, message}` instead, which the mlflow client reads
 * (docs/model-registry.md), and InfluxDB's /query its `{error}`: each is held to its shape.
 */
function isProblem(
  contentType: string | null,
  text: string,
  status: number,
  template: string,
): boolean {
  // InfluxDB's query API answers InfluxDB's own `{error}`, which InfluxDB clients read.
  if (template === '/query') {
    try {
      return typeof (JSON.parse(text) as { error?: unknown }).error === 'string';
    } catch {
      return false;
    }
  }
  if (template.startsWith('/api/2.0/mlflow')) {
    try {
      const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      return typeof body.error_code === 'string' && typeof body.message === 'string';
    } catch {
      return false;
    }
  }
  if (!contentType?.startsWith('application/problem+json')) return false;
  try {
    const body = JSON.parse(text) as { status?: unknown; type?: unknown };
    return body.status === status && typeof body.type === 'string';
  } catch {
    return false;
  }
}

/** Sends the sampled cases of a door, one at a time, and records what came back. */
export async function attackHttpDoor(
  door: HttpDoor,
  fleet: AppFleet,
  run: HostileRun,
  token: FreshToken,
  random: SeededRandom,
  perDoor: number,
  created: { app: string; path: string }[],
): Promise<void> {
  const name = doorName(door);
  run.door(name);
  const cases = random.sample(httpCases(door), perDoor, (one) => one.always === true);
  for (const one of cases) {
    const app = await fleet.available(door.app);
    if (!app) {
      run.record(name, one.label, fleet.downReason(door.app));
      continue;
    }
    run.inFlight.set(door.app, `${name} | ${one.label}`);
    let answered = true;
    try {
      const response = await fetch(`${app.baseUrl}${one.path}`, {
        method: door.method,
        headers: {
          authorization: `Bearer ${await token.get()}`,
          ...(one.contentType && one.body !== undefined ? { 'content-type': one.contentType } : {}),
        },
        body: one.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      const status = response.status;
      if (status === 201 && door.method === 'POST')
        created.push({ app: door.app, path: createdPath(one.path, text) });
      if (status >= 500) run.record(name, one.label, `${status} ${text.slice(0, 300)}`, true);
      else if (
        status >= 400 &&
        !isProblem(response.headers.get('content-type'), text, status, door.template) &&
        !nodeParserRefusal(status, response.headers.get('content-type'))
      )
        run.record(
          name,
          one.label,
          `${status} not problem+json (${response.headers.get('content-type')}): ${text.slice(0, 200)}`,
        );
      else if (one.mustRefuse && status < 300)
        run.record(
          name,
          one.label,
          `${status}: acknowledged what InfluxDB or an ingest limit refuses (stored nowhere)`,
        );
      else run.record(name, one.label);
    } catch (error) {
      // A body far over the limit may be refused by answering 413 and closing the connection
      // before the upload ends (RFC 9110 §15.5.14 allows it); the client then sees a reset,
      // not the answer. That is a refusal, provided it came at once and the app still answers.
      if (
        oversizedBody(one.body) &&
        (error as Error).name !== 'TimeoutError' &&
        fleet.running(door.app) &&
        (await answersLive(app.baseUrl))
      ) {
        run.record(name, one.label);
        continue;
      }
      answered = false;
      const died = !fleet.running(door.app);
      run.record(
        name,
        one.label,
        died
          ? `no answer: ${door.app} died`
          : `no answer within ${REQUEST_TIMEOUT_MS} ms: ${(error as Error).message}`,
      );
    } finally {
      if (!answered) await fleet.unstall(door.app);
      run.inFlight.delete(door.app);
    }
  }
}

/** A body over every app's limit (1 MiB for JSON APIs, 16 MiB for ingest's writes). */
function oversizedBody(body: Buffer | string | undefined): boolean {
  return body !== undefined && Buffer.byteLength(body) > 16 * 1024 * 1024;
}

async function answersLive(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Node's HTTP parser refuses a malformed request line or oversized headers itself, before
 * the app sees it, with a bare 400/414/431 and no body: that is not the app's answer.
 */
function nodeParserRefusal(status: number, contentType: string | null): boolean {
  return contentType === null && (status === 400 || status === 414 || status === 431);
}

/** Where a created resource can be deleted: its id appended to the collection path. */
function createdPath(path: string, text: string): string {
  const base = path.split('?')[0]!;
  try {
    const body = JSON.parse(text) as { id?: unknown; name?: unknown };
    const id = body.id ?? body.name;
    return typeof id === 'string' ? `${base}/${encodeURIComponent(id)}` : base;
  } catch {
    return base;
  }
}
