import { placeholdersOf, routingKeyFor, routingKeyTemplateProblem } from './amqp-routing-key';

describe('sink routing keys', () => {
  it('fills placeholders from a telemetry or event subject', () => {
    expect(routingKeyFor('iotwins.{tenant}.{measurement}', 'telemetry.tenant-a.power')).toBe(
      'iotwins.tenant-a.power',
    );
    expect(routingKeyFor('{subject}', 'telemetry.tenant-a.power')).toBe('telemetry.tenant-a.power');
    expect(routingKeyFor('events.{event}', 'events.tenant-a.model-registry.version-created')).toBe(
      'events.model-registry.version-created',
    );
    expect(routingKeyFor('fixed', 'telemetry.t.m')).toBe('fixed');
  });

  it('names what is wrong with a template', () => {
    expect(routingKeyTemplateProblem('{measurement}.{tenant}')).toBeUndefined();
    expect(routingKeyTemplateProblem('a.{nope}')).toBe(
      'unknown placeholder {nope}; expected {tenant}, {subject}, {measurement}, {event}',
    );
    expect(routingKeyTemplateProblem('a.{measurement')).toBe('unbalanced "{" or "}"');
    expect(placeholdersOf('{tenant}.x.{event}')).toEqual(['tenant', 'event']);
  });
});
