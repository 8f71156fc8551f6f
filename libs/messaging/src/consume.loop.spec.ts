import { Logger } from '@nestjs/common';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { consumeUntilStopped } from './consume.loop';

/** A JetStream message as the loop sees it, recording how it was settled. */
class FakeMessage {
  settled: { how: 'ack' | 'nak' | 'term'; arg?: number | string } | undefined;
  constructor(
    readonly seq: number,
    readonly info: { deliveryCount: number },
    readonly subject = `s.${seq}`,
  ) {}
  ack(): void {
    this.settled = { how: 'ack' };
  }
  nak(delay?: number): void {
    this.settled = { how: 'nak', arg: delay };
  }
  term(reason?: string): void {
    this.settled = { how: 'term', arg: reason };
  }
}

/** A consumer that delivers the given messages once, then waits until closed. */
function consumerOf(messages: FakeMessage[]): Consumer {
  return {
    consume: () => {
      let close: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (close = resolve));
      const iterable = {
        async *[Symbol.asyncIterator]() {
          for (const message of messages) yield message as unknown as JsMsg;
          await closed;
        },
        close: () => {
          close();
          return Promise.resolve();
        },
      };
      return Promise.resolve(iterable);
    },
  } as unknown as Consumer;
}

const logger = new Logger('consume-loop-spec');
logger.warn = () => undefined;
logger.error = () => undefined;

async function run(
  messages: FakeMessage[],
  handle: (message: JsMsg) => Promise<void> | void,
  extra: { maxHandlerDeliveries?: number; giveUp?: (m: JsMsg, e: Error) => Promise<void> } = {},
): Promise<void> {
  const loop = consumeUntilStopped(
    consumerOf(messages),
    { maxMessages: 10, retryDelayMs: 10, logger, what: 'spec', ...extra },
    handle,
  );
  for (let i = 0; i < 50 && messages.some((m) => !m.settled); i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  await loop.stop();
}

describe('consumeUntilStopped', () => {
  it('goes on with the next message when a handler throws, handing the failed one back', async () => {
    const messages = [1, 2, 3].map((seq) => new FakeMessage(seq, { deliveryCount: 1 }));
    await run(messages, (message) => {
      if (message.seq === 2) throw new Error('poison');
      message.ack();
    });
    expect(messages.map((m) => m.settled?.how)).toEqual(['ack', 'nak', 'ack']);
    // Handed back with a delay, so it cannot spin.
    expect(messages[1]!.settled!.arg).toBeGreaterThan(0);
  });

  it('backs off longer with each delivery', async () => {
    const messages = [1, 2, 3].map((n) => new FakeMessage(n, { deliveryCount: n }));
    await run(
      messages,
      () => {
        throw new Error('always');
      },
      { maxHandlerDeliveries: 10 },
    );
    const delays = messages.map((m) => Number(m.settled!.arg));
    expect(delays[0]).toBeLessThan(delays[1]!);
    expect(delays[1]).toBeLessThan(delays[2]!);
  });

  it('gives a message up after the delivery limit: kept by giveUp, then terminated', async () => {
    const kept: number[] = [];
    const message = new FakeMessage(7, { deliveryCount: 3 });
    await run(
      [message],
      () => {
        throw new Error('still poison');
      },
      {
        maxHandlerDeliveries: 3,
        giveUp: async (m, error) => {
          expect(error.message).toBe('still poison');
          kept.push(m.seq);
        },
      },
    );
    expect(kept).toEqual([7]);
    expect(message.settled?.how).toBe('term');
    expect(String(message.settled?.arg)).toMatch(/3 times: still poison/);
  });

  it('terminates the message when keeping it fails too, and the loop goes on', async () => {
    const poison = new FakeMessage(1, { deliveryCount: 5 });
    const next = new FakeMessage(2, { deliveryCount: 1 });
    await run(
      [poison, next],
      (message) => {
        if (message.seq === 1) throw new Error('poison');
        message.ack();
      },
      {
        giveUp: () => Promise.reject(new Error('MAX_PAYLOAD_EXCEEDED')),
      },
    );
    expect(poison.settled?.how).toBe('term');
    expect(next.settled?.how).toBe('ack');
  });

  it('survives a message whose settling throws (connection lost)', async () => {
    const broken = new FakeMessage(1, { deliveryCount: 1 });
    broken.nak = () => {
      throw new Error('closed');
    };
    const next = new FakeMessage(2, { deliveryCount: 1 });
    await run([broken, next], (message) => {
      if (message.seq === 1) throw new Error('poison');
      message.ack();
    });
    expect(next.settled?.how).toBe('ack');
  });
});
