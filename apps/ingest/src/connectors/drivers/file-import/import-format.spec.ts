import { importFormat } from './import-format';

describe('importFormat', () => {
  it('takes the configured format first, then the extension, then the content type', () => {
    expect(importFormat('csv', 'a.parquet', 'application/json')).toBe('csv');
    expect(importFormat('auto', 'in/day.PARQUET', 'text/csv')).toBe('parquet');
    expect(importFormat('auto', 'in/day.lp', undefined)).toBe('line-protocol');
    expect(importFormat('auto', 'in/day', 'text/csv; charset=utf-8')).toBe('csv');
    expect(importFormat('auto', 'in/day.bin', 'application/octet-stream')).toBeUndefined();
  });
});
