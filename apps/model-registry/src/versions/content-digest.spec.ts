import { createHash } from 'node:crypto';
import { contentDigest } from './versions.service';

describe('version content digest', () => {
  it('is the file’s own SHA-256 for one file', () => {
    expect(contentDigest([{ path: 'model.onnx', sha256: 'a'.repeat(64) }])).toBe('a'.repeat(64));
  });

  it('does not depend on upload order, and does depend on paths', () => {
    const files = [
      { path: 'b.bin', sha256: '1'.repeat(64) },
      { path: 'a.bin', sha256: '2'.repeat(64) },
    ];
    const expected = createHash('sha256')
      .update(`${'2'.repeat(64)}  a.bin\n${'1'.repeat(64)}  b.bin\n`)
      .digest('hex');
    expect(contentDigest(files)).toBe(expected);
    expect(contentDigest([...files].reverse())).toBe(expected);
    expect(contentDigest([{ ...files[0]!, path: 'c.bin' }, files[1]!])).not.toBe(expected);
  });
});
