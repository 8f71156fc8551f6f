import { matchTopic, parseTopicPattern, type TopicPattern } from './mqtt-topic-pattern';

const pattern = (text: string): TopicPattern => {
  const parsed = parseTopicPattern(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('MQTT topic patterns', () => {
  it('subscribes with + in place of each capture', () => {
    expect(pattern('plant/{line}/{measurement}').filter).toBe('plant/+/+');
    expect(pattern('plant/+/{field}/#').filter).toBe('plant/+/+/#');
    expect(pattern('plant/fixed').filter).toBe('plant/fixed');
  });

  it('captures the measurement, the field and tags from the levels', () => {
    expect(matchTopic(pattern('plant/{line}/{measurement}'), 'plant/L1/spindle')).toEqual({
      measurement: 'spindle',
      field: undefined,
      tags: { line: 'L1' },
    });
    expect(matchTopic(pattern('p/+/{machine}/{field}'), 'p/x/m7/rpm')).toEqual({
      measurement: undefined,
      field: 'rpm',
      tags: { machine: 'm7' },
    });
  });

  it('matches # with any rest, and the parent level, as MQTT does', () => {
    const rest = pattern('plant/{line}/#');
    expect(matchTopic(rest, 'plant/L1/a/b/c')?.tags).toEqual({ line: 'L1' });
    expect(matchTopic(rest, 'plant/L1')?.tags).toEqual({ line: 'L1' });
    expect(matchTopic(rest, 'other/L1/a')).toBeUndefined();
  });

  it('does not match topics with more, fewer or empty levels', () => {
    const exact = pattern('plant/{line}/{measurement}');
    expect(matchTopic(exact, 'plant/L1')).toBeUndefined();
    expect(matchTopic(exact, 'plant/L1/m/extra')).toBeUndefined();
    expect(matchTopic(exact, 'plant//m')).toBeUndefined();
    expect(matchTopic(exact, 'plants/L1/m')).toBeUndefined();
  });

  it.each([
    ['a/#/b', '"#" is allowed only as the last level'],
    ['a/{x}/{x}', '"{x}" appears twice'],
    ['a/b+/c', 'level "b+" mixes text with "+", "#" or braces; a wildcard takes a whole level'],
    [
      'a/{bad name}',
      'level "{bad name}" mixes text with "+", "#" or braces; a wildcard takes a whole level',
    ],
    ['$SYS/broker', 'topics starting with "$" belong to the broker'],
  ])('refuses %s', (text, reason) => {
    expect(parseTopicPattern(text)).toBe(reason);
  });
});
