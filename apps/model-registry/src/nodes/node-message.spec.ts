import { MAX_NODE_MESSAGE_BYTES, readNodeMessage } from './node-message';

const subject = 'nodes.tenant-a.edge-1.heartbeat';
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('readNodeMessage', () => {
  it('reads a heartbeat and a status, an empty heartbeat too', () => {
    expect(readNodeMessage(subject, encode('{"runtime":{"agent":"1"}}'))).toEqual({
      ok: true,
      tenant: 'tenant-a',
      node: 'edge-1',
      kind: 'heartbeat',
      body: { runtime: { agent: '1' } },
    });
    expect(readNodeMessage(subject, new Uint8Array())).toMatchObject({ ok: true, body: {} });
    expect(
      readNodeMessage(
        'nodes.tenant-a.edge-1.status',
        encode('{"deployment":"d","state":"running"}'),
      ),
    ).toMatchObject({ ok: true, kind: 'status' });
  });

  it.each([
    ['a NUL', encode('{"runtime":{"agent":"a\\u0000b"}}'), 'NUL'],
    ['a NUL in a key', encode('{"runtime":{"k\\u0000":1}}'), 'NUL'],
    ['a lone surrogate', encode('{"runtime":{"agent":"\\ud800"}}'), 'surrogate'],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'UTF-8'],
    ['too many bytes', new Uint8Array(MAX_NODE_MESSAGE_BYTES + 1).fill(32), 'at most'],
    ['invalid JSON', encode('{"runtime":'), 'not JSON'],
    ['wrong types', encode('{"running":"all","time":42}'), '/running'],
    ['deep nesting', encode(`{"runtime":{"x":${'['.repeat(100)}${']'.repeat(100)}}}`), 'deeper'],
    ['an operator key', encode('{"runtime":{"$where":"1"}}'), '"$"'],
    ['a dotted key', encode('{"runtime":{"a.b":1}}'), '"."'],
    ['a prototype key', encode('{"runtime":{"__proto__":{"x":1}}}'), 'not JSON'],
  ])('refuses %s, without throwing', (_, data, why) => {
    const read = readNodeMessage(subject, data);
    expect(read.ok).toBe(false);
    expect(read.ok ? '' : read.reason).toContain(why);
  });

  it('refuses a subject that is not a node’s', () => {
    expect(readNodeMessage('nodes.tenant-a.heartbeat', encode('{}')).ok).toBe(false);
  });
});
