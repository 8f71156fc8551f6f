import { influxReaderCredentials } from './influx-reader.credentials';

describe('influxReaderCredentials', () => {
  it('derives a stable user and password per tenant, different per tenant and per secret', () => {
    const a = influxReaderCredentials('s3cret-s3cret-s3cret', 'tenant-a');
    expect(a.user).toBe('iotwins_reader_tenant-a');
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(influxReaderCredentials('s3cret-s3cret-s3cret', 'tenant-a')).toEqual(a);
    expect(influxReaderCredentials('s3cret-s3cret-s3cret', 'tenant-b').password).not.toBe(
      a.password,
    );
    expect(influxReaderCredentials('other-secret-value', 'tenant-a').password).not.toBe(a.password);
  });
});
