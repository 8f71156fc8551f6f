import { telemetryAsJson } from './mqtt-sink.payload';
import { topicFor, topicTemplateProblem } from './mqtt-sink.topic';

describe('MQTT sink topics', () => {
  it('fills placeholders from the subject, never adding levels or wildcards', () => {
    expect(topicFor('out/{tenant}/{measurement}', 'telemetry.tenant-a.power')).toBe(
      'out/tenant-a/power',
    );
    expect(topicFor('out/{measurement}', 'telemetry.t.a%2Fb%2B%23c')).toBe('out/a_b__c');
    expect(topicFor('ev/{service}/{type}', 'events.t.models.version.created.v1')).toBe(
      'ev/models/version.created.v1',
    );
  });

  it('names what a template cannot do', () => {
    expect(topicTemplateProblem('out/{measurement}', 'telemetry')).toBeUndefined();
    expect(topicTemplateProblem('out/{type}', 'telemetry')).toBe(
      '"{type}" is not known for telemetry; use {tenant}, {measurement}',
    );
    expect(topicTemplateProblem('out/+/{measurement}', 'telemetry')).toBe(
      'a topic to publish to cannot hold the wildcards "+" or "#"',
    );
    expect(topicTemplateProblem('out/{measurement', 'telemetry')).toBe(
      'expected placeholders as {name}',
    );
  });
});

describe('telemetryAsJson', () => {
  it('gives the points as POST /v1/points takes them, 64-bit integers as strings', () => {
    const body = Buffer.from(
      'power,turbine=T1 kw=1520.5,on=true,state="RUN",n=9223372036854775807i 1795514400000000001',
    );
    expect(JSON.parse(telemetryAsJson(body).toString())).toEqual({
      points: [
        {
          measurement: 'power',
          tags: { turbine: 'T1' },
          fields: {
            kw: 1520.5,
            on: true,
            state: 'RUN',
            n: { type: 'integer', value: '9223372036854775807' },
          },
          time: '2026-11-24T10:00:00.000000001Z',
        },
      ],
    });
  });
});
