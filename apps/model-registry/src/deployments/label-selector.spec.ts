import { parseLabelSelector, selectorMatches, SelectorError } from './label-selector';

describe('label selectors', () => {
  it('parses equality, set and existence requirements', () => {
    expect(
      parseLabelSelector('testbed=7, role in (TransformerXXY,Pump), !gpu, zone!=b, arch'),
    ).toEqual({
      matchLabels: { testbed: '7' },
      matchExpressions: [
        { key: 'role', operator: 'In', values: ['TransformerXXY', 'Pump'] },
        { key: 'gpu', operator: 'DoesNotExist', values: [] },
        { key: 'zone', operator: 'NotIn', values: ['b'] },
        { key: 'arch', operator: 'Exists', values: [] },
      ],
    });
  });

  it.each([
    ['', 'empty'],
    ['testbed=7,,role=a', 'empty requirement'],
    ['role in (a,b', 'unbalanced'],
    ['te st=7', 'not a requirement'],
    ['testbed=7=8', 'not a valid label value'],
    ['-bad=1', 'not a valid label key'],
    ['a=1,a=2', 'two different values'],
  ])('refuses %j saying %s', (selector, why) => {
    expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
    expect(() => parseLabelSelector(selector)).toThrow(why);
  });

  it('matches labels as Kubernetes does', () => {
    const selector = parseLabelSelector('testbed=7,role notin (spare),!maintenance');
    expect(selectorMatches(selector, { testbed: '7', role: 'TransformerXXY' })).toBe(true);
    expect(selectorMatches(selector, { testbed: '7' })).toBe(true);
    expect(selectorMatches(selector, { testbed: '5' })).toBe(false);
    expect(selectorMatches(selector, { testbed: '7', role: 'spare' })).toBe(false);
    expect(selectorMatches(selector, { testbed: '7', maintenance: 'yes' })).toBe(false);
  });
});
