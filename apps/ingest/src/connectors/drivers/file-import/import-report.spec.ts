import { ImportTally, MAX_LISTED_REFUSALS, conflictIndex } from './import-report';

describe('import report', () => {
  it('lists refusals in file order, counts all of them, and caps the list', () => {
    const tally = new ImportTally();
    tally.recordsRead = MAX_LISTED_REFUSALS + 10;
    for (let line = MAX_LISTED_REFUSALS + 5; line >= 1; line -= 1)
      tally.refuse({ line, detail: `bad ${line}` });
    const report = tally.report({
      bucket: 'drop',
      key: 'in/a.csv',
      etag: 'e',
      size: 1,
      format: 'csv',
    });
    expect(report.recordsRefused).toBe(MAX_LISTED_REFUSALS + 5);
    expect(report.refused).toHaveLength(MAX_LISTED_REFUSALS);
    expect(report.refused[0]!.line).toBeLessThan(report.refused[1]!.line!);
    expect(report.outcome).toBe('completed');
    expect(report).not.toHaveProperty('error');
  });

  it('is failed, with its reason, when the file as a whole could not be read', () => {
    const tally = new ImportTally();
    tally.error = 'unsupported format';
    expect(
      tally.report({ bucket: 'b', key: 'k', etag: undefined, size: 0, format: undefined }),
    ).toMatchObject({ outcome: 'failed', error: 'unsupported format', pointsStored: 0 });
  });

  it("maps ingest's field-type refusals back to the point they name", () => {
    expect(conflictIndex('point 12: field "v" is float, not string')).toEqual({
      index: 12,
      detail: 'field "v" is float, not string',
    });
    expect(conflictIndex('something else')).toBeUndefined();
  });
});
