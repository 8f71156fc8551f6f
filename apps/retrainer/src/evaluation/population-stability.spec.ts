import { binIndex, populationStabilityIndex } from './population-stability';

describe('population stability index', () => {
  it('places values by edges or by upper bounds, clamping the outside to the outer bins', () => {
    const edges = { bins: [0, 10, 20, 30], counts: [1, 1, 1] };
    expect([-5, 0, 9.9, 10, 25, 30, 99].map((v) => binIndex(edges, v))).toEqual([
      0, 0, 0, 1, 2, 2, 2,
    ]);
    const bounds = { bins: [10, 20, 30], counts: [1, 1, 1] };
    expect([-5, 10, 10.1, 30, 99].map((v) => binIndex(bounds, v))).toEqual([0, 0, 1, 2, 2]);
  });

  it('is 0 for the same distribution and grows with the shift', () => {
    expect(populationStabilityIndex([25, 25, 25, 25], [50, 50, 50, 50])).toBeCloseTo(0, 10);
    const small = populationStabilityIndex([25, 25, 25, 25], [30, 25, 25, 20]);
    const large = populationStabilityIndex([25, 25, 25, 25], [100, 0, 0, 0]);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(1);
  });
});
