import {
  callJsonApi,
  createdConnectorId,
  startAppProcess,
  tokens,
  uniqueName,
  waitFor,
  type ApiAnswer,
  type AppProcess,
} from '@iotwins/testing';

/** A short lease, so a restarted ingest takes the connectors of a killed one over quickly. */
const INGEST_ENV = { CONNECTORS_LEASE_SECONDS: '2' };

/**
 * The apps the file connectors need, as processes (ingest, timeseries, objectstore), with a
 * tenant-a token, and small clients of their APIs: shared by connectors-files.int-spec.ts and
 * the Parquet benchmark.
 */
export class FilesPlatform {
  readonly created: string[] = [];

  private constructor(
    public ingest: AppProcess,
    readonly timeseries: AppProcess,
    readonly objectstore: AppProcess,
    readonly token: string,
  ) {}

  static async start(): Promise<FilesPlatform> {
    const [ingest, timeseries, objectstore] = await Promise.all([
      startAppProcess('ingest', INGEST_ENV),
      startAppProcess('timeseries'),
      startAppProcess('objectstore'),
    ]);
    return new FilesPlatform(ingest, timeseries, objectstore, await tokens.gatewayA());
  }

  /** A new ingest process (after the old one was killed); it takes the connectors over. */
  async restartIngest(): Promise<void> {
    this.ingest = await startAppProcess('ingest', INGEST_ENV);
  }

  async stop(): Promise<void> {
    if (this.ingest.process.exitCode === null && !this.ingest.process.killed)
      for (const id of this.created) await this.call(this.ingest, 'DELETE', `/v1/connectors/${id}`);
    await Promise.all([this.ingest.stop(), this.timeseries.stop(), this.objectstore.stop()]);
  }

  async call(
    app: AppProcess,
    method: string,
    path: string,
    body?: unknown,
    token = this.token,
  ): Promise<ApiAnswer> {
    const answer = await callJsonApi(app.baseUrl, token, method, path, body);
    const id = createdConnectorId(method, path, answer);
    if (id) this.created.push(id);
    return answer;
  }

  /** A new bucket of tenant-a the whole tenant may write (as file connectors require). */
  async bucket(acl = 'tenant-write'): Promise<string> {
    const name = uniqueName('files').toLowerCase();
    const { status } = await this.call(this.objectstore, 'POST', '/v1/buckets', { name, acl });
    if (status !== 201) throw new Error(`bucket ${name} not created: ${status}`);
    return name;
  }

  async connector(name: string, type: string, config: unknown): Promise<string> {
    const { status, body } = await this.call(this.ingest, 'POST', '/v1/connectors', {
      name,
      type,
      config,
    });
    if (status !== 201) throw new Error(`connector not created: ${status} ${JSON.stringify(body)}`);
    return body.id as string;
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<void> {
    const response = await fetch(
      `${this.objectstore.baseUrl}/v1/buckets/${bucket}/objects/${key.split('/').map(encodeURIComponent).join('/')}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType },
        body,
      },
    );
    if (response.status !== 200)
      throw new Error(`PUT ${key}: ${response.status} ${await response.text()}`);
  }

  /** An object's bytes, or undefined while there is none. */
  async get(bucket: string, key: string): Promise<Buffer | undefined> {
    const response = await fetch(
      `${this.objectstore.baseUrl}/v1/buckets/${bucket}/objects/${key.split('/').map(encodeURIComponent).join('/')}`,
      { headers: { authorization: `Bearer ${this.token}` } },
    );
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new Error(`GET ${key}: ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Keys under a prefix. */
  async list(bucket: string, prefix: string): Promise<string[]> {
    const { body } = await this.call(
      this.objectstore,
      'GET',
      `/v1/buckets/${bucket}/objects?prefix=${encodeURIComponent(prefix)}`,
    );
    return (body.objects as { key: string }[]).map((object) => object.key);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report, checked by the spec
  async report(bucket: string, key: string, timeoutMs = 60_000): Promise<any> {
    let report: Buffer | undefined;
    try {
      await waitFor(
        `the import report of ${key}`,
        async () => (report = await this.get(bucket, `${key}.import-report.json`)) !== undefined,
        { timeoutMs },
      );
    } catch (error) {
      // The connectors' statuses say why, better than a timeout alone.
      const { body } = await this.call(this.ingest, 'GET', '/v1/connectors');
      throw new Error(
        `${(error as Error).message}\n${JSON.stringify(body.connectors?.map((c: { status: unknown }) => c.status))}\n${this.ingest.output().slice(-3000)}`,
      );
    }
    return JSON.parse(report!.toString('utf8'));
  }

  /** Every stored point of a measurement in 2026, flattened with its tags. */
  async points(measurement: string, start = '2026-01-01T00:00:00Z', end = '2027-01-01T00:00:00Z') {
    const { status, body } = await this.call(
      this.timeseries,
      'GET',
      `/v1/measurements/${encodeURIComponent(measurement)}/points?start=${start}&end=${end}&limit=10000`,
    );
    if (status !== 200) throw new Error(`query ${measurement}: ${status} ${JSON.stringify(body)}`);
    return (
      body.series as {
        tags: Record<string, string>;
        points: { time: string; fields: Record<string, unknown> }[];
      }[]
    )
      .flatMap((series) => series.points.map((point) => ({ tags: series.tags, ...point })))
      .sort(
        (a, b) =>
          a.time.localeCompare(b.time) ||
          JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)),
      );
  }

  async waitForPoints(measurement: string, count: number, timeoutMs = 60_000) {
    await waitFor(
      `${count} points of ${measurement}`,
      async () => (await this.points(measurement)).length >= count,
      {
        timeoutMs,
      },
    );
    return this.points(measurement);
  }
}
