import { backingOutage, outageProblem } from './backing-outage';

describe('backing outages', () => {
  it('recognises a MongoDB, S3 or NATS server that is away', () => {
    expect(
      backingOutage(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' })),
    ).toBe('mongodb');
    expect(backingOutage(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('s3');
    expect(backingOutage(Object.assign(new Error('closed'), { code: 'CONNECTION_CLOSED' }))).toBe(
      'nats',
    );
  });

  it('leaves errors of the request alone', () => {
    expect(
      backingOutage(Object.assign(new Error('dup'), { name: 'MongoServerError', code: 11000 })),
    ).toBeUndefined();
    expect(backingOutage(Object.assign(new Error('nope'), { code: 'NoSuchKey' }))).toBeUndefined();
    expect(backingOutage('text')).toBeUndefined();
  });

  it('answers 503 with Retry-After', () => {
    const problem = outageProblem('mongodb');
    expect(problem.problem).toMatchObject({ status: 503, server: 'mongodb' });
    expect(problem.headers).toEqual({ 'Retry-After': '5' });
  });
});
