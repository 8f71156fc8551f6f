import { OutboundAddressError, OutboundPolicy } from './outbound-policy';
import { assertOutboundUrlAllowed } from './outbound-url';

describe('assertOutboundUrlAllowed', () => {
  const strict = new OutboundPolicy([]);

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://127.0.0.1:8222/varz',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://[::1]/',
    'http://[::7f00:1]/',
    'http://[::ffff:0:7f00:1]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[2002:a9fe:a9fe::]/',
    'http://[fec0::1]/',
    'http://localhost:4000/',
  ])('refuses the internal URL %s', async (url) => {
    await expect(assertOutboundUrlAllowed(strict, url)).rejects.toThrow(OutboundAddressError);
    await expect(assertOutboundUrlAllowed(strict, url)).rejects.toThrow(/internal address/);
  });

  it('refuses other schemes, relative URLs and names that do not resolve', async () => {
    await expect(assertOutboundUrlAllowed(strict, 'file:///etc/passwd')).rejects.toThrow(
      /file: URLs are not called/,
    );
    await expect(assertOutboundUrlAllowed(strict, '/hooks')).rejects.toThrow(/not an absolute URL/);
    await expect(
      assertOutboundUrlAllowed(strict, 'https://no-such-host.invalid/hook'),
    ).rejects.toThrow(/no-such-host\.invalid does not resolve/);
    await expect(
      assertOutboundUrlAllowed(strict, 'mqtts://8.8.8.8', { schemes: ['mqtts:'] }),
    ).resolves.toBeUndefined();
  });

  it('accepts public literals and what the operator allows', async () => {
    await expect(assertOutboundUrlAllowed(strict, 'https://8.8.8.8/hook')).resolves.toBeUndefined();
    await expect(
      assertOutboundUrlAllowed(strict, 'https://[2001:4860:4860::8888]/'),
    ).resolves.toBeUndefined();
    await expect(
      assertOutboundUrlAllowed(new OutboundPolicy(['127.0.0.0/8', '::1']), 'http://localhost:1/'),
    ).resolves.toBeUndefined();
  });
});
