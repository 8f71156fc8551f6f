import { createHmac } from 'node:crypto';
import { influxReaderCredentials, tenantReaderCredentials } from './tenant-reader.credentials';

describe('tenant reader credentials', () => {
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

  it('gives the monitor store its own user and a password unrelated to the InfluxDB one', () => {
    const influx = tenantReaderCredentials('influxdb', 's3cret-s3cret-s3cret', 'tenant-a');
    const monitors = tenantReaderCredentials('monitors', 's3cret-s3cret-s3cret', 'tenant-a');
    expect(influx).toEqual(influxReaderCredentials('s3cret-s3cret-s3cret', 'tenant-a'));
    expect(monitors.user).toBe('iotwins_monitor_reader_tenant-a');
    expect(monitors.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Same secret, same tenant: still another password, so one leaked login opens one store.
    expect(monitors.password).not.toBe(influx.password);
    // The documented derivation (docs/security.md), as an operator computes it by hand.
    expect(monitors.password).toBe(
      createHmac('sha256', 's3cret-s3cret-s3cret')
        .update('monitor-reader:tenant-a')
        .digest('base64url'),
    );
  });
});
