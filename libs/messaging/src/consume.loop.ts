import { Logger } from '@nestjs/common';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

export interface ConsumeLoop {
  /** Ends the pull and waits until the handler returned for the last message. */
  stop(): Promise<void>;
}

/** Deliveries of a message whose handler keeps throwing before it is given up on. */
export const DEFAULT_MAX_HANDLER_DELIVERIES = 5;
/** First redelivery delay after a handler threw; it doubles with each delivery. */
const HANDLER_RETRY_BASE_MS = 500;
const HANDLER_RETRY_MAX_MS = 30_000;

export interface ConsumeLoopOptions {
  /** Bound on the messages pulled ahead of the handler, unless maxBytes is given. */
  maxMessages: number;
  /** Bound on the bytes pulled ahead instead, when messages may be large (NATS takes one). */
  maxBytes?: number;
  retryDelayMs: number;
  logger: Logger;
  what: string;
  /**
   * Deliveries after which a message whose handler threw every time is given up on
   * (`giveUp`, then terminated); before that it is handed back with a growing delay.
   */
  maxHandlerDeliveries?: number;
  /**
   * Keeps a message given up on (e.g. a bounded dead-letter copy). Whatever it throws, the
   * message is terminated: an error while dead-lettering never stops the loop.
   */
  giveUp?: (message: JsMsg, error: Error) => Promise<void> | void;
}

/**
 * Pulls from a durable consumer until stopped, handing each message to `handle` in order. A
 * pull that fails (NATS restarted, the consumer was recreated) is started again after
 * `retryDelayMs`; messages not acknowledged meanwhile are redelivered by JetStream.
 *
 * A handler that throws for one message never ends or stalls the loop: the message is
 * handed back (nak with back-off) and, once it was delivered `maxHandlerDeliveries` times,
 * given up on and terminated, so one poison message cannot be redelivered forever nor keep
 * the messages behind it from being read. Handlers still settle the messages they take.
 */
export function consumeUntilStopped(
  consumer: Consumer,
  options: ConsumeLoopOptions,
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
        for await (const message of messages) {
          try {
            await handle(message);
          } catch (error) {
            await handlerFailed(message, error as Error, options);
          }
        }
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

/** Settles a message whose handler threw: retried later, or given up on after the limit. */
export async function handlerFailed(
  message: JsMsg,
  error: Error,
  options: Pick<ConsumeLoopOptions, 'logger' | 'what' | 'maxHandlerDeliveries' | 'giveUp'>,
): Promise<void> {
  const deliveries = message.info.deliveryCount;
  const max = options.maxHandlerDeliveries ?? DEFAULT_MAX_HANDLER_DELIVERIES;
  const context = { subject: message.subject, seq: message.seq, deliveries, err: error.message };
  try {
    if (deliveries < max) {
      options.logger.warn(context, `${options.what}: handler failed; message handed back`);
      message.nak(Math.min(HANDLER_RETRY_MAX_MS, HANDLER_RETRY_BASE_MS * 2 ** (deliveries - 1)));
      return;
    }
    options.logger.error(context, `${options.what}: handler failed ${deliveries} times; given up`);
    try {
      await options.giveUp?.(message, error);
    } catch (giveUpError) {
      options.logger.error(
        { ...context, giveUpErr: (giveUpError as Error).message },
        `${options.what}: message given up on could not be kept; terminated`,
      );
    }
    message.term(`handler failed ${deliveries} times: ${error.message.slice(0, 200)}`);
  } catch (settleError) {
    // A lost connection: JetStream redelivers after the ack wait, counting the delivery.
    options.logger.warn(
      { ...context, settleErr: (settleError as Error).message },
      `${options.what}: failed message could not be settled`,
    );
  }
}
