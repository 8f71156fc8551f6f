import { requestIdFrom } from './request-id';

describe('requestIdFrom', () => {
  it('keeps a plain caller-supplied id', () => {
    expect(requestIdFrom('gw-42.batch:7')).toBe('gw-42.batch:7');
  });

  it('replaces ids that could forge log lines or headers', () => {
    for (const hostile of ['a\nb', 'x'.repeat(129), '', 'id with space', '<script>']) {
      expect(requestIdFrom(hostile)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('uses the first value of a repeated header', () => {
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });
});
