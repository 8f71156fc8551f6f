import { fill } from './part.fill';

describe('fill', () => {
  const chunks = (): Buffer[] => [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('hi')];

  it('copies whole chunks and splits the one that crosses the end of the part', () => {
    const part = Buffer.alloc(5);
    const rest = fill(part, chunks());
    expect(part.toString()).toBe('abcde');
    expect(rest.map(String)).toEqual(['fg', 'hi']);
  });

  it('leaves nothing when the chunks end exactly with the part', () => {
    const part = Buffer.alloc(7);
    expect(fill(part, chunks()).map(String)).toEqual(['hi']);
    expect(part.toString()).toBe('abcdefg');
    expect(fill(Buffer.alloc(9), chunks())).toEqual([]);
  });
});
