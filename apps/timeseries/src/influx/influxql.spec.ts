import { RETENTION_DURATION, quoteIdentifier, quoteString } from './influxql';

describe('InfluxQL quoting', () => {
  it('keeps hostile names inside their quotes', () => {
    expect(quoteIdentifier('a"; DROP DATABASE "x')).toBe('"a\\"; DROP DATABASE \\"x"');
    expect(quoteIdentifier('back\\slash')).toBe('"back\\\\slash"');
    expect(quoteString("o'clock\\")).toBe("'o\\'clock\\\\'");
  });

  it('accepts only plain retention durations', () => {
    expect(['0s', '30d', '12h', '52w', '90m'].every((d) => RETENTION_DURATION.test(d))).toBe(true);
    expect(['', '30', '1y', '30d;', '-1d', '00d'].some((d) => RETENTION_DURATION.test(d))).toBe(
      false,
    );
  });
});
