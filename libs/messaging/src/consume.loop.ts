import { Logger } from '@nestjs/common';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export interface ConsumeLoop {
  /** Ends the pull and waits until the handler returned for the last message. */
  stop(): Promise<void>;
}

/**
 * Pulls from a durable consumer until stopped, handing each message to `handle` in order. A
 * pull that fails (NATS restarted, the consumer was recreated) is started again after
 * `retryDelayMs`; messages not acknowledged meanwhile are redelivered by JetStream.
 */
export function consumeUntilStopped(
  consumer: Consumer,
  options: {
    /** Bound on the messages pulled ahead of the handler, unless maxBytes is given. */
    maxMessages: number;
    /** Bound on the bytes pulled ahead instead, when messages may be large (NATS takes one). */
    maxBytes?: number;
    retryDelayMs: number;
    logger: Logger;
    what: string;
  },
  handle: (message: JsMsg) => Promise<void> | void,
): ConsumeLoop {
  let running = true;
  let messages: ConsumerMessages | undefined;
  const loop = (async () => {
    while (running) {
      try {
        messages = await consumer.consume(
          options.maxBytes !== undefined
            ? { max_bytes: options.maxBytes }
            : { max_messages: options.maxMessages },
        );
        for await (const message of messages) await handle(message);
      } catch (error) {
        if (!running) break;
        options.logger.warn({ err: (error as Error).message }, `${options.what} failed; retrying`);
        await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await messages?.close();
      await loop;
    },
  };
}
