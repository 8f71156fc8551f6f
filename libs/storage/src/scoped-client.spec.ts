import { prefixSessionPolicy } from './scoped-client';

describe('prefixSessionPolicy', () => {
  it('allows reading and writing objects under one prefix of one bucket, nothing else', () => {
    expect(JSON.parse(prefixSessionPolicy('t0123456789-drop', 'incoming/', 'read-write'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            's3:GetObject',
            's3:PutObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          Resource: ['arn:aws:s3:::t0123456789-drop/incoming/*'],
        },
      ],
    });
  });

  it('grants a reader no write and a writer no read', () => {
    expect(JSON.parse(prefixSessionPolicy('b', '', 'read')).Statement[0].Action).toEqual([
      's3:GetObject',
    ]);
    expect(JSON.parse(prefixSessionPolicy('b', '', 'write')).Statement[0].Action).not.toContain(
      's3:GetObject',
    );
  });
});
