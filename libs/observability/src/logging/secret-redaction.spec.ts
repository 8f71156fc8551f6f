import { MASK, redactHeaders, redactUrl } from './secret-redaction';

describe('redactUrl', () => {
  it('masks the InfluxDB password and, beside it, the user (a Keycloak client id)', () => {
    expect(redactUrl('/write?db=tenant-a&u=gateway-tenant-a&p=s3cr3t&precision=ns')).toBe(
      `/write?db=tenant-a&u=${MASK}&p=${MASK}&precision=ns`,
    );
  });

  it('keeps a user name that travels without a password', () => {
    expect(redactUrl('/query?u=alice&db=x')).toBe('/query?u=alice&db=x');
  });

  it('masks access_token and token, whatever their case or encoding', () => {
    expect(redactUrl('/v1/me?access_token=eyJabc.def&x=1')).toBe(`/v1/me?access_token=${MASK}&x=1`);
    expect(redactUrl('/api/v2/write?Token=abc&org=o')).toBe(`/api/v2/write?Token=${MASK}&org=o`);
    expect(redactUrl('/q?%70=secret')).toBe(`/q?%70=${MASK}`);
    expect(redactUrl('/q?p=a&p=b')).toBe(`/q?p=${MASK}&p=${MASK}`);
  });

  it('leaves URLs without credentials unchanged', () => {
    for (const url of ['/v1/points', '/v1/points?start=2026-01-01&every=1m', '/x?', '/x?p'])
      expect(redactUrl(url)).toBe(url);
  });

  it('does not leave a secret in a malformed query', () => {
    expect(redactUrl('/write?p=%E0%A4%A&u=x')).toBe(`/write?p=${MASK}&u=${MASK}`);
  });
});

describe('redactHeaders', () => {
  it('masks Authorization, cookies and API keys, keeps the rest', () => {
    expect(
      redactHeaders({
        Authorization: 'Token id:secret',
        cookie: 'session=abc',
        'x-api-key': 'k',
        'content-type': 'text/plain',
      }),
    ).toEqual({
      Authorization: MASK,
      cookie: MASK,
      'x-api-key': MASK,
      'content-type': 'text/plain',
    });
  });
});
