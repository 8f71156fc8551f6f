import { z } from 'zod';
import { secretField } from '../../connector.secret-field';
import { sinkSourceField } from '../../connector.sink';
import { routingKeyTemplateProblem } from './amqp-routing-key';

/** An AMQP 0-9-1 name (queue, exchange): RabbitMQ takes up to 255 bytes of UTF-8. */
const amqpName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s]+$/, { message: 'expected a name without spaces' });

/** Where the broker is and who the connector is on it; shared by the source and the sink. */
export const amqpConnectionShape = {
  /** `amqp://host[:port]` or `amqps://host[:port]` (TLS, the system's CAs); no credentials in it. */
  // One check that parses once: zod runs later refinements even on a value an earlier check
  // refused, and a refine calling new URL() on it would throw (a 500) instead.
  url: z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute URL' });
      return;
    }
    if (!/^amqps?:$/.test(url.protocol))
      ctx.addIssue({ code: 'custom', message: 'expected an amqp or amqps URL' });
    if (url.username || url.password)
      ctx.addIssue({
        code: 'custom',
        message: 'put the user in "username" and the password in "password", not in the URL',
      });
    if (!['', '/'].includes(url.pathname) || url.search)
      ctx.addIssue({ code: 'custom', message: 'expected no path or query: the vhost is "vhost"' });
  }),
  username: z.string().min(1).max(255),
  password: secretField,
  vhost: z.string().min(1).max(255).default('/'),
  /** Seconds between AMQP heartbeats; a silent broker is noticed after about two of them. */
  heartbeatSeconds: z.number().int().min(1).max(600).default(30),
};

export const bindingSchema = z
  .object({
    /** An existing exchange (declared by the testbed). */
    exchange: amqpName,
    /** `#` (everything) by default on a topic exchange. */
    routingKey: z.string().max(255).default('#'),
  })
  .strict();

export const amqpSourceConfigSchema = z
  .object({
    ...amqpConnectionShape,
    /** The queue read from. */
    queue: amqpName,
    /**
     * True (default): the connector declares the queue (durable) if it does not exist, with
     * `deadLetterExchange` and its `bindings`. False: the queue must exist (failing if not).
     */
    declareQueue: z.boolean().default(true),
    /** Bindings the connector makes from existing exchanges onto its queue. */
    bindings: z.array(bindingSchema).max(32).default([]),
    /** `x-dead-letter-exchange` of the declared queue: where refused messages go. */
    deadLetterExchange: amqpName.optional(),
    /** `json`, `line-protocol`, or `auto` (a payload starting with "{" is JSON, else line protocol). */
    format: z.enum(['auto', 'json', 'line-protocol']).default('auto'),
    /** Measurement of JSON points that name none. */
    measurement: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, {
        message: 'expected 1 to 128 letters, digits, "_" or "-"',
      })
      .optional(),
    /** Unacknowledged messages the broker hands the connector at most (backpressure). */
    prefetch: z.number().int().min(1).max(10_000).default(100),
  })
  .strict()
  .superRefine((config, issues) => {
    if (!config.declareQueue && config.bindings.length > 0)
      issues.addIssue({
        code: 'custom',
        path: ['bindings'],
        message: 'bindings need "declareQueue": true (the connector binds the queue it declares)',
      });
    if (!config.declareQueue && config.deadLetterExchange !== undefined)
      issues.addIssue({
        code: 'custom',
        path: ['deadLetterExchange'],
        message: 'a dead-letter exchange needs "declareQueue": true (it is set when declaring)',
      });
  });
export type AmqpSourceConfig = z.infer<typeof amqpSourceConfigSchema>;

export const amqpSinkConfigSchema = z
  .object({
    ...amqpConnectionShape,
    /** An existing exchange; "" is the default exchange (routing key = queue name). */
    exchange: z.union([z.literal(''), amqpName]),
    /**
     * Routing key of each message: text with `{tenant}`, `{subject}` (the NATS subject),
     * `{measurement}` (telemetry) or `{event}` (events: `<service>.<type>`).
     */
    routingKey: z
      .string()
      .min(1)
      .max(255)
      .superRefine((value, issues) => {
        const problem = routingKeyTemplateProblem(value);
        if (problem) issues.addIssue({ code: 'custom', message: problem });
      }),
    /** Delivery mode 2 (the broker writes them to disk in durable queues). */
    persistent: z.boolean().default(true),
    /** Seconds to wait for the broker's confirms of a batch before it counts as failed. */
    confirmTimeoutSeconds: z.number().int().min(1).max(300).default(30),
    source: sinkSourceField,
  })
  .strict();
export type AmqpSinkConfig = z.infer<typeof amqpSinkConfigSchema>;

/** What amqplib's connect takes, from a configuration and its opened password. */
export function connectOptions(
  config: { url: string; username: string; vhost: string; heartbeatSeconds: number },
  password: string,
) {
  const url = new URL(config.url);
  const tls = url.protocol === 'amqps:';
  return {
    protocol: tls ? 'amqps' : 'amqp',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : tls ? 5671 : 5672,
    username: config.username,
    password,
    vhost: config.vhost,
    heartbeat: config.heartbeatSeconds,
  };
}

/** `host:port` for messages (never the credentials). */
export function brokerAddress(config: { url: string }): string {
  const url = new URL(config.url);
  return `${url.hostname}:${url.port || (url.protocol === 'amqps:' ? 5671 : 5672)}`;
}
