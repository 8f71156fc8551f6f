import {
  MAX_BUCKET_NAME_LENGTH,
  bucketNameProblem,
  physicalBucketName,
  tenantBucketPrefix,
} from './bucket-name';

describe('bucket names', () => {
  it.each(['sensor-data', 'abc', 'simulation.results.2021', 'a'.repeat(MAX_BUCKET_NAME_LENGTH)])(
    'accepts %s',
    (name) => expect(bucketNameProblem(name)).toBeUndefined(),
  );

  it.each([
    ['ab', 'characters long'],
    ['a'.repeat(MAX_BUCKET_NAME_LENGTH + 1), 'characters long'],
    ['Sensor', 'lowercase'],
    ['sensor_data', 'lowercase'],
    ['sensor/data', 'lowercase'],
    ['-sensor', 'begin and end'],
    ['sensor.', 'begin and end'],
    ['sensor..data', 'two adjacent dots'],
    ['192.168.5.4', 'IP address'],
    ['xn--sensor', 'xn--'],
    ['data-s3alias', '-s3alias'],
    ['sеnsor', 'lowercase'], // Cyrillic е
    ['../tenant-b', 'lowercase'],
  ])('rejects %s', (name, why) => expect(bucketNameProblem(name)).toContain(why));

  it('gives each tenant its own prefix, derived from the tenant alone', () => {
    expect(tenantBucketPrefix('tenant-a')).toMatch(/^t[0-9a-f]{10}-$/);
    expect(tenantBucketPrefix('tenant-a')).not.toBe(tenantBucketPrefix('tenant-b'));
    expect(physicalBucketName('tenant-a', 'data')).toBe(`${tenantBucketPrefix('tenant-a')}data`);
    expect(physicalBucketName('tenant-a', 'a'.repeat(MAX_BUCKET_NAME_LENGTH))).toHaveLength(63);
  });
});
