import { describeAmqpError } from './amqp-errors';

describe('describeAmqpError', () => {
  it('names socket errors in words', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), {
      code: 'ECONNREFUSED',
    });
    expect(describeAmqpError(refused)).toBe('connection refused');
    expect(describeAmqpError(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe(
      'host not found',
    );
  });

  it('says wrong credentials for a refused login, without the broker log hint', () => {
    const login = new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."',
    );
    expect(describeAmqpError(login)).toBe('ACCESS_REFUSED: wrong credentials (login refused)');
  });

  it('keeps the reply code and text of channel and connection errors', () => {
    const missing = new Error(
      "Operation failed: QueueDeclare; 404 (NOT-FOUND) with message \"NOT_FOUND - no queue 'q' in vhost 'v'\"",
    );
    expect(describeAmqpError(missing)).toBe("NOT_FOUND: no queue 'q' in vhost 'v'");
    const vhost = new Error(
      'Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost nope not found"',
    );
    expect(describeAmqpError(vhost)).toBe('NOT_ALLOWED: vhost nope not found');
  });

  it('passes other messages through', () => {
    expect(describeAmqpError(new Error('Heartbeat timeout'))).toBe(
      'the broker stopped answering (heartbeat timeout)',
    );
    expect(describeAmqpError(new Error('something else'))).toBe('something else');
  });
});
