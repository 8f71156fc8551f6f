import { returnedHeaders, storedHeaders } from './object-headers';

describe('object headers', () => {
  it('keeps the content type, standard headers and user metadata of an upload', () => {
    const { headers, problems } = storedHeaders({
      'content-type': 'text/csv; charset=utf-8',
      'cache-control': 'max-age=60',
      'x-amz-meta-station': 'north-7',
      authorization: 'Bearer secret',
      'content-length': '42',
    });
    expect(problems).toEqual([]);
    expect(headers).toEqual({
      'content-type': 'text/csv; charset=utf-8',
      'cache-control': 'max-age=60',
      'x-amz-meta-station': 'north-7',
    });
  });

  it('defaults the content type to application/octet-stream', () => {
    expect(storedHeaders({}).headers['content-type']).toBe('application/octet-stream');
  });

  it('names every header it refuses', () => {
    const { problems } = storedHeaders({
      'content-type': 'not a type',
      'x-amz-meta-bad name': 'x',
      'x-amz-meta-ok': 'x'.repeat(3000),
    });
    expect(problems.map((p) => p.header)).toEqual([
      'content-type',
      'x-amz-meta-bad name',
      'x-amz-meta-*',
    ]);
  });

  it('returns what S3 answered about the object, never its internal headers', () => {
    expect(
      returnedHeaders({
        etag: '"abc"',
        'content-length': '3',
        'x-amz-meta-station': 'north-7',
        'x-amz-request-id': '17',
        'x-amz-tagging-count': '1',
        server: 'MinIO',
      }),
    ).toEqual({ etag: '"abc"', 'content-length': '3', 'x-amz-meta-station': 'north-7' });
  });
});
