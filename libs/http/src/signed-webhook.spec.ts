import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './signed-webhook';

describe('signed webhooks', () => {
  const now = String(Math.floor(Date.now() / 1000));
  const body = '{"type":"x"}';

  it('signs "<timestamp>.<body>" with HMAC-SHA256, as a receiver recomputes it', () => {
    const expected = createHmac('sha256', 's3cret').update(`${now}.${body}`).digest('hex');
    expect(signWebhook('s3cret', now, body)).toBe(`sha256=${expected}`);
    expect(signWebhook('s3cret', now, Buffer.from(body))).toBe(`sha256=${expected}`);
  });

  it('verifies only the same secret, timestamp and body, within the tolerance', () => {
    const signature = signWebhook('s3cret', now, body);
    expect(verifyWebhook('s3cret', { timestamp: now, body, signature })).toBe(true);
    expect(verifyWebhook('other', { timestamp: now, body, signature })).toBe(false);
    expect(verifyWebhook('s3cret', { timestamp: now, body: `${body} `, signature })).toBe(false);
    const old = String(Number(now) - 3600);
    expect(
      verifyWebhook('s3cret', {
        timestamp: old,
        body,
        signature: signWebhook('s3cret', old, body),
      }),
    ).toBe(false);
    expect(verifyWebhook('s3cret', { timestamp: 'abc', body, signature })).toBe(false);
  });
});
