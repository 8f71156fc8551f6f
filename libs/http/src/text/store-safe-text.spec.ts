import {
  nameUnsafeTextReason,
  storeSafeText,
  storeUnsafeStrings,
  storeUnsafeTextReason,
} from './store-safe-text';

describe('store-safe text', () => {
  it('refuses NUL and lone surrogates, accepts other Unicode', () => {
    expect(storeUnsafeTextReason('a\u0000b')).toMatch(/NUL/);
    expect(storeUnsafeTextReason('a\ud800b')).toMatch(/surrogate/);
    expect(storeUnsafeTextReason('Windpark Nordsee 🌊 ü')).toBeUndefined();
  });

  it('refuses controls and bidirectional overrides in names', () => {
    expect(nameUnsafeTextReason('a\u001bb')).toMatch(/control/);
    expect(nameUnsafeTextReason('invoice\u202efdp.exe')).toMatch(/bidirectional/);
    expect(nameUnsafeTextReason('turbine-07')).toBeUndefined();
  });

  it('is a zod string with a length bound and the reason as the issue', () => {
    const schema = storeSafeText(5);
    expect(schema.safeParse('abc').success).toBe(true);
    expect(schema.safeParse('abcdef').success).toBe(false);
    const result = schema.safeParse('a\u0000');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/NUL/);
  });

  it('finds unsafe strings and keys anywhere in a JSON value', () => {
    const found = storeUnsafeStrings({ a: ['ok', 'x\u0000'], ['k\u0000']: 1 });
    expect(found.map((f) => f.path)).toEqual([['a', 1], ['k\u0000']]);
  });
});
