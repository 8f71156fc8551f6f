import { objectSessionPolicy } from './object-session.policy';

describe('objectSessionPolicy', () => {
  it('allows a PUT URL to upload its one object, without tags, and nothing else', () => {
    expect(JSON.parse(objectSessionPolicy('PUT', 'tabc-bulk', 'runs/part-1.csv'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: ['arn:aws:s3:::tabc-bulk/runs/part-1.csv'],
          Condition: { Null: { 's3:RequestObjectTagKeys': 'true' } },
        },
      ],
    });
  });

  it('allows a GET URL to read its one object only', () => {
    expect(JSON.parse(objectSessionPolicy('GET', 'b', 'k')).Statement).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/k'] },
    ]);
  });
});
