import { isRowDataError } from './failure-kinds';

describe('isRowDataError', () => {
  it('tells a refused row from an outage by its SQLSTATE', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    expect(isRowDataError(withCode('22P05'))).toBe(true); // unsupported Unicode escape
    expect(isRowDataError(withCode('22001'))).toBe(true); // value too long
    expect(isRowDataError(withCode('54000'))).toBe(true); // program limit exceeded
    expect(isRowDataError(withCode('57P01'))).toBe(false); // admin shutdown
    expect(isRowDataError(withCode('08006'))).toBe(false); // connection failure
    expect(isRowDataError(new Error('connect ECONNREFUSED'))).toBe(false);
  });
});
