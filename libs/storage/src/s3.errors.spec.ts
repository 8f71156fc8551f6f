import { isS3Unavailable } from './s3.errors';

describe('isS3Unavailable', () => {
  it('tells a storage server that is away from a request S3 refused', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), {
      code: 'ECONNREFUSED',
    });
    expect(isS3Unavailable(refused)).toBe(true);
    expect(isS3Unavailable(new Error('socket hang up'))).toBe(true);
    expect(isS3Unavailable(Object.assign(new Error('x'), { code: 'SlowDown' }))).toBe(true);
    expect(isS3Unavailable(new Error('fetch failed', { cause: refused }))).toBe(true);
    expect(isS3Unavailable(Object.assign(new Error('x'), { code: 'NoSuchKey' }))).toBe(false);
    expect(isS3Unavailable(Object.assign(new Error('x'), { code: 'AccessDenied' }))).toBe(false);
    expect(isS3Unavailable(undefined)).toBe(false);
  });
});
