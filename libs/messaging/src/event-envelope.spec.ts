import { z } from 'zod';
import { createEvent, parseEvent } from './event-envelope';
import { assertSubjectToken, isSubjectToken } from './subject-token';

describe('event envelope', () => {
  const data = z.object({ bucket: z.string() });

  it('round-trips an event through JSON with its data validated', () => {
    const event = createEvent(
      {
        type: 'objectstore.object.created.v1',
        source: 'objectstore',
        tenant: 'tenant-a',
        data: { bucket: 'b' },
      },
      new Date('2026-01-02T03:04:05.000Z'),
    );
    expect(parseEvent(JSON.parse(JSON.stringify(event)), data)).toEqual({
      ...event,
      time: '2026-01-02T03:04:05.000Z',
    });
  });

  it('rejects an unversioned type and bad data', () => {
    const event = createEvent({
      type: 'objectstore.object.created',
      source: 's',
      tenant: 't',
      data: { bucket: 'b' },
    });
    expect(() => parseEvent(event, data)).toThrow();
    const good = createEvent({ type: 'a.b.v1', source: 's', tenant: 't', data: { bucket: 1 } });
    expect(() => parseEvent(good, data)).toThrow();
  });
});

describe('subject tokens', () => {
  it('accepts plain names and refuses separators and wildcards', () => {
    expect(isSubjectToken('tenant-a')).toBe(true);
    for (const bad of ['a.b', '*', '>', 'a b', '', 'x'.repeat(129), 'ä'])
      expect(isSubjectToken(bad)).toBe(false);
    expect(() => assertSubjectToken('tenant', 'a.>')).toThrow(
      'tenant "a.>" is not a valid subject token',
    );
  });
});
