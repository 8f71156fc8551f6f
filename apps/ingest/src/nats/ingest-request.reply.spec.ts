import { boundedReply } from './ingest-request.reply';

const decode = (bytes: Uint8Array) =>
  JSON.parse(Buffer.from(bytes).toString()) as Record<string, unknown>;

describe('boundedReply', () => {
  const problem = {
    type: 'urn:iotwins:problem:partial-write',
    title: 'Bad Request',
    status: 400,
    detail: '0 line(s) stored, 30000 rejected',
    written: 0,
    errorCount: 30_000,
    errors: Array.from({ length: 100 }, (_, line) => ({ line, detail: 'x'.repeat(1_000) })),
  };

  it('sends a reply that fits as it is', () => {
    expect(decode(boundedReply(problem, 1024 * 1024))).toEqual(problem);
  });

  it('shortens the list of refused lines until the reply fits max_payload', () => {
    const reply = boundedReply(problem, 20_000);
    expect(reply.length).toBeLessThanOrEqual(20_000);
    const answer = decode(reply);
    expect((answer.errors as unknown[]).length).toBeGreaterThan(0);
    expect(answer).toMatchObject({ status: 400, errorCount: 30_000, written: 0 });
  });

  it('keeps the status and counts when not even one line fits', () => {
    const reply = boundedReply(problem, 600);
    expect(reply.length).toBeLessThanOrEqual(600);
    expect(decode(reply)).toMatchObject({ status: 400, errorCount: 30_000, written: 0 });
  });
});
