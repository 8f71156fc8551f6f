import { clientCredentialsFrom } from './client-secret.exchange';

describe('clientCredentialsFrom', () => {
  it('reads Basic, Token and v1 query credentials', () => {
    const basic = `Basic ${Buffer.from('gateway-a:s3cr:et').toString('base64')}`;
    expect(clientCredentialsFrom(basic, {})).toEqual({
      clientId: 'gateway-a',
      clientSecret: 's3cr:et',
    });
    expect(clientCredentialsFrom('Token gateway-a:secret', {})).toEqual({
      clientId: 'gateway-a',
      clientSecret: 'secret',
    });
    expect(clientCredentialsFrom(undefined, { u: 'gateway-a', p: 'secret' })).toEqual({
      clientId: 'gateway-a',
      clientSecret: 'secret',
    });
  });

  it('ignores bearer tokens and malformed pairs', () => {
    expect(clientCredentialsFrom('Bearer abc', {})).toBeUndefined();
    expect(clientCredentialsFrom('Token onlyatoken', {})).toBeUndefined();
    expect(clientCredentialsFrom('Token :secret', {})).toBeUndefined();
    expect(clientCredentialsFrom(undefined, { u: 'x' })).toBeUndefined();
  });
});
