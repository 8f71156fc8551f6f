import {
  batchKey,
  objectBatchSinkConfigSchema,
  templatePrefix,
  windowStartOf,
} from './object-batch-sink.config';

describe('object batch sink configuration', () => {
  it('names each file from its template', () => {
    expect(
      batchKey('telemetry/{measurement}/{windowStart}-{firstSeq}.{format}', {
        measurement: 'wind power',
        windowStart: new Date('2026-11-24T10:05:00Z'),
        firstSeq: 42,
        format: 'parquet',
      }),
    ).toBe('telemetry/wind_power/2026-11-24T10:05:00Z-42.parquet');
  });

  it('aligns windows to the epoch', () => {
    expect(windowStartOf(Date.parse('2026-11-24T10:07:31Z'), 300).toISOString()).toBe(
      '2026-11-24T10:05:00.000Z',
    );
  });

  it('limits the credentials to the fixed folder of the template', () => {
    expect(templatePrefix('telemetry/{measurement}/{windowStart}-{firstSeq}.csv')).toBe(
      'telemetry/',
    );
    expect(templatePrefix('{measurement}-{firstSeq}')).toBe('');
    expect(templatePrefix('a/b/c{measurement}/{firstSeq}')).toBe('a/b/');
  });

  it('refuses templates without {measurement} or {firstSeq} and unknown tokens', () => {
    const parsed = objectBatchSinkConfigSchema.safeParse({
      bucket: 'archive',
      keyTemplate: 'x/{windowStart}/{tenant}',
    });
    expect(parsed.success).toBe(false);
    const messages = parsed.error!.issues.map((issue) => issue.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'must contain {measurement}: each file holds one measurement',
        'must contain {firstSeq}: it keeps two files of one window apart',
        'tokens are {measurement}, {windowStart}, {firstSeq}, {format}',
      ]),
    );
  });
});
