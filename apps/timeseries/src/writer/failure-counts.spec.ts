import { FailureCounts } from './failure-counts';

describe('FailureCounts', () => {
  it('counts failures per message until it is forgotten', () => {
    const counts = new FailureCounts();
    expect(counts.record(7)).toBe(1);
    expect(counts.record(7)).toBe(2);
    expect(counts.record(8)).toBe(1);
    counts.forget(7);
    expect(counts.record(7)).toBe(1);
  });
});
