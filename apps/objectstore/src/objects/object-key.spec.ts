import { MAX_OBJECT_KEY_BYTES, objectKeyProblem } from './object-key';

describe('object keys', () => {
  it.each([
    'data.csv',
    'metrics/2021/February/data.csv',
    'folder/',
    'grüße/温度.json',
    'a..b/c.d',
    '%2e%2e/literal-percent',
    'x'.repeat(MAX_OBJECT_KEY_BYTES),
  ])('accepts %s', (key) => expect(objectKeyProblem(key)).toBeUndefined());

  it.each([
    ['', 'empty'],
    ['../t0123456789-other/secret', '".."'],
    ['a/../../b', '".."'],
    ['./a', '"."'],
    ['a/.', '"."'],
    ['/etc/passwd', 'begin with "/"'],
    ['a//b', 'empty path segments'],
    ['a\\..\\b', 'backslashes'],
    ['a\u0000b', 'NUL'],
    ['a\u0001b', 'control characters'],
    ['line\nbreak', 'control characters'],
    ['\uFF0E\uFF0E/secret', 'NFKC'], // fullwidth full stops
    ['a\uFF0F..\uFF0Fb', 'NFKC'], // fullwidth solidus
    ['\u2025/b', 'NFKC'], // two dot leader
    ['bad\uD800surrogate', 'lone surrogate'],
    ['é'.repeat(MAX_OBJECT_KEY_BYTES / 2 + 1), 'bytes'],
  ])('refuses %j', (key, why) => expect(objectKeyProblem(key)).toContain(why));

  it('refuses bidirectional overrides in keys being written, still reads stored ones', () => {
    expect(objectKeyProblem('x\u202Egpj.exe', 'write')).toContain('bidirectional');
    expect(objectKeyProblem('x\u202Egpj.exe', 'read')).toBeUndefined();
    expect(objectKeyProblem('a\u0000b', 'write')).toContain('NUL');
  });
});
