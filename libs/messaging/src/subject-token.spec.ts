import { decodeSubjectToken, encodeSubjectToken, isSubjectToken } from './subject-token';
import { telemetryDeadLetterSubject, telemetrySubject } from './telemetry.subjects';

describe('subject tokens', () => {
  it('encodes any measurement name into one reversible token', () => {
    for (const name of ['turbine', 'wind speed', 'a.b.*>', 'Zürich ✓', '%41', 'x'.repeat(300)]) {
      const token = encodeSubjectToken(name);
      expect(token).not.toMatch(/[.*>\s]/);
      expect(decodeSubjectToken(token)).toBe(name);
    }
    expect(encodeSubjectToken('wind speed.avg')).toBe('wind%20speed%2Eavg');
  });

  it('builds telemetry subjects and refuses a tenant that is not a plain token', () => {
    expect(telemetrySubject('tenant-a', 'power quality')).toBe(
      'telemetry.tenant-a.power%20quality',
    );
    expect(telemetryDeadLetterSubject('tenant-a')).toBe('deadletter.telemetry.tenant-a');
    expect(() => telemetrySubject('a.b', 'm')).toThrow('tenant "a.b" is not a valid subject token');
    expect(isSubjectToken('tenant-a')).toBe(true);
  });
});
