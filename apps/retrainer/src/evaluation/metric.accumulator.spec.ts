import { accumulate, emptyAccumulator, metricValue } from './metric.accumulator';

describe('metric accumulator', () => {
  it('computes MAE, RMSE and MAPE from running sums', () => {
    const acc = emptyAccumulator('regression');
    for (const [p, a] of [
      [12, 10],
      [8, 10],
      [5, 0],
    ] as const)
      expect(accumulate(acc, p, a)).toBe(true);
    expect(metricValue(acc, 'mae')).toBeCloseTo(3, 10);
    expect(metricValue(acc, 'rmse')).toBeCloseTo(Math.sqrt((4 + 4 + 25) / 3), 10);
    // The pair with actual 0 has no percentage error and is left out of MAPE.
    expect(metricValue(acc, 'mape')).toBeCloseTo(20, 10);
    expect(accumulate(acc, 'a', 1)).toBe(false);
  });

  it('computes accuracy and binary or macro precision, recall and F1 from confusion counts', () => {
    const acc = emptyAccumulator('classification');
    const pairs: [string, string][] = [
      ['sag', 'sag'],
      ['sag', 'normal'],
      ['normal', 'normal'],
      ['normal', 'normal'],
      ['normal', 'sag'],
    ];
    for (const [p, a] of pairs) accumulate(acc, p, a);
    expect(metricValue(acc, 'accuracy')).toBeCloseTo(0.6, 10);
    expect(metricValue(acc, 'precision', 'sag')).toBeCloseTo(0.5, 10);
    expect(metricValue(acc, 'recall', 'sag')).toBeCloseTo(0.5, 10);
    expect(metricValue(acc, 'f1', 'sag')).toBeCloseTo(0.5, 10);
    // normal: precision 2/3, recall 2/3; macro with sag (1/2, 1/2).
    expect(metricValue(acc, 'precision')).toBeCloseTo((0.5 + 2 / 3) / 2, 10);
    expect(metricValue(emptyAccumulator('classification'), 'accuracy')).toBeNull();
  });
});
