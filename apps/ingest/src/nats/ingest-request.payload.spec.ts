import { ProblemException } from '@iotwins/http';
import { DEFAULT_TELEMETRY_LIMITS, RequestFieldTypes, type LineBatch } from '@iotwins/telemetry';
import type { WriteContext } from '../telemetry/ingest.service';
import { parseIngestRequest } from './ingest-request.payload';

const context: WriteContext = {
  tenant: 'tenant-a',
  limits: DEFAULT_TELEMETRY_LIMITS,
  receivedAt: 1795514400000000000n,
  idempotencyKey: undefined,
  maxListedErrors: 3,
};
const parse = (body: string, contentType?: string, max = 1024) =>
  parseIngestRequest(Buffer.from(body), contentType, undefined, 'turbine', context, max);
const text = (batch: LineBatch): string[] =>
  batch.messages().map((message) => Buffer.from(message.body).toString());
const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as ProblemException).problem;
  }
  throw new Error('no problem raised');
};

describe('parseIngestRequest', () => {
  it('reads one JSON point, measurement from the subject, times in ms', () => {
    const { batch, lineErrors } = parse('{"time":1795514400001,"fields":{"v":1}}');
    expect(text(batch)).toEqual(['turbine v=1 1795514400001000000']);
    expect(lineErrors).toEqual([]);
  });

  it('refuses a JSON batch with a bad point whole, naming it, as POST /v1/points', () => {
    const problem = problemOf(() =>
      parse('{"points":[{"fields":{"v":1}},{"fields":{}}]}', 'application/json'),
    );
    expect(problem).toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-points',
      errors: [expect.objectContaining({ pointer: expect.stringContaining('/points/1') })],
    });
  });

  it('keeps good lines of line protocol and lists the bad ones, as /write', () => {
    const { batch, lineErrors } = parse('m v=1i 1\nm v=\nm v=2i 2', 'text/plain');
    expect(text(batch)).toEqual(['m v=1i 1\nm v=2i 2']);
    expect(lineErrors).toEqual([{ line: 2, detail: expect.any(String) }]);
  });

  it('lists at most maxListedErrors bad lines or points and counts the rest', () => {
    const lines = parse(Array.from({ length: 10 }, (_, i) => `m v=+${i}`).join('\n'), 'text/plain');
    expect(lines.lineErrors).toHaveLength(3);
    expect(lines.lineErrorCount).toBe(10);
    const points = JSON.stringify({ points: Array.from({ length: 10 }, () => ({ fields: {} })) });
    expect(problemOf(() => parse(points, 'application/json', 10_000))).toMatchObject({
      errors: [expect.anything(), expect.anything(), expect.anything()],
      errorCount: 10,
    });
  });

  it('refuses other media types, oversized bodies and bad JSON with problem details', () => {
    expect(problemOf(() => parse('x', 'application/xml'))).toMatchObject({ status: 415 });
    expect(problemOf(() => parse('m v=1', 'text/plain', 3))).toMatchObject({
      status: 413,
      type: 'urn:iotwins:problem:body-too-large',
    });
    expect(problemOf(() => parse('{"fields":'))).toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-json',
    });
    expect(problemOf(() => parse('  \n', 'text/plain'))).toMatchObject({
      type: 'urn:iotwins:problem:no-points',
    });
  });

  it('checks field types as HTTP does: a JSON point or a line of another type is refused', () => {
    // The tenant's store holds turbine.v and m.v as integers.
    const stored = new RequestFieldTypes({
      typeOf: (_measurement, field) => (field === 'v' ? 'integer' : undefined),
    });
    const withTypes = (body: string, contentType: string) =>
      parseIngestRequest(
        Buffer.from(body),
        contentType,
        undefined,
        'turbine',
        context,
        1024,
        stored,
      );
    expect(problemOf(() => withTypes('{"fields":{"v":1.5}}', 'application/json'))).toMatchObject({
      status: 400,
      type: 'urn:iotwins:problem:invalid-points',
      errors: [expect.objectContaining({ index: 0, pointer: '/points/0/fields' })],
    });
    const { batch, lineErrors } = withTypes('m v=1i 1\nm v=2.5 2', 'text/plain');
    expect(text(batch)).toEqual(['m v=1i 1']);
    expect(lineErrors).toEqual([{ line: 2, detail: expect.stringContaining('conflict') }]);
  });
});
