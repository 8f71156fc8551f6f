import { createHmac } from 'node:crypto';
import { signWebhookBody, verifyWebhookSignature } from './webhook.signature';

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of the body, prefixed sha256=', () => {
    const body = '{"type":"models.version.created.v1"}';
    const expected = createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(signWebhookBody('s3cret', body)).toBe(`sha256=${expected}`);
    expect(verifyWebhookSignature('s3cret', body, `sha256=${expected}`)).toBe(true);
    expect(verifyWebhookSignature('other', body, `sha256=${expected}`)).toBe(false);
    expect(verifyWebhookSignature('s3cret', `${body} `, `sha256=${expected}`)).toBe(false);
  });
});
