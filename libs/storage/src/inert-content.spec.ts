import {
  INERT_CONTENT_SECURITY_POLICY,
  attachmentDisposition,
  inertContentHeaders,
  inertPresignParams,
} from './inert-content';

describe('inert content headers', () => {
  it('serves tenant bytes as an attachment, unsniffed, in a sandbox', () => {
    expect(inertContentHeaders({ filename: 'site/index.html' })).toEqual({
      'x-content-type-options': 'nosniff',
      'content-security-policy': INERT_CONTENT_SECURITY_POLICY,
      'content-disposition': 'attachment; filename="index.html"',
    });
  });

  it('keeps a bucket’s inline web content inline, still sandboxed', () => {
    const headers = inertContentHeaders({ filename: 'a.html', inline: true });
    expect(headers['content-disposition']).toBe('inline');
    expect(headers['content-security-policy']).toMatch(/^sandbox /);
    expect(headers['content-security-policy']).not.toMatch(/allow-same-origin/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(
      inertContentHeaders({ filename: 'a', inline: true, storedDisposition: 'inline; x=1' })[
        'content-disposition'
      ],
    ).toBe('inline; x=1');
  });

  it('never lets a name break out of the header (RFC 6266 fallback and filename*)', () => {
    expect(attachmentDisposition('dir/a"b\\c.html')).toBe(
      `attachment; filename="a_b_c.html"; filename*=UTF-8''a%22b%5Cc.html`,
    );
    expect(attachmentDisposition('Messdaten-März.csv')).toBe(
      `attachment; filename="Messdaten-M_rz.csv"; filename*=UTF-8''Messdaten-M%C3%A4rz.csv`,
    );
    expect(attachmentDisposition('x\u202egpj.exe')).toBe(
      `attachment; filename="x_gpj.exe"; filename*=UTF-8''x%E2%80%AEgpj.exe`,
    );
    expect(attachmentDisposition('50%.txt')).toBe(
      `attachment; filename="50_.txt"; filename*=UTF-8''50%25.txt`,
    );
    expect(attachmentDisposition('folder/')).toBe('attachment');
    for (const value of Object.values(inertContentHeaders({ filename: 'a\r\nb\u0000' })))
      expect(value).toMatch(/^[\x20-\x7e]*$/);
  });

  it('signs the attachment disposition into presigned GET URLs', () => {
    expect(inertPresignParams('m/model.onnx')).toEqual({
      'response-content-disposition': 'attachment; filename="model.onnx"',
    });
  });
});
