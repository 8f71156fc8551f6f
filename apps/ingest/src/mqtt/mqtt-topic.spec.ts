import { parseTelemetryTopic, telemetryTopicFilter } from './mqtt-topic';

describe('MQTT telemetry topics', () => {
  it('reads tenant and optional measurement', () => {
    expect(telemetryTopicFilter('iotwins')).toBe('iotwins/+/telemetry/#');
    expect(parseTelemetryTopic('iotwins', 'iotwins/tenant-a/telemetry')).toEqual({
      tenant: 'tenant-a',
      measurement: undefined,
    });
    expect(parseTelemetryTopic('iotwins', 'iotwins/tenant-a/telemetry/health index')).toEqual({
      tenant: 'tenant-a',
      measurement: 'health index',
    });
  });

  it('refuses topics outside the scheme', () => {
    for (const topic of [
      'other/tenant-a/telemetry',
      'iotwins/tenant.a/telemetry',
      'iotwins/tenant-a/events',
      'iotwins/tenant-a/telemetry/',
      'iotwins',
    ]) {
      expect(parseTelemetryTopic('iotwins', topic)).toBeUndefined();
    }
  });
});
