import { decodeSubjectToken } from '@iotwins/messaging';

/**
 * The broker topic of a message: a template whose placeholders come from the NATS subject.
 * Telemetry (`telemetry.<tenant>.<measurement>`) gives `{tenant}` and `{measurement}`;
 * events (`events.<tenant>.<service>.<type...>`) give `{tenant}`, `{service}` and `{type}`.
 */
export const TOPIC_PLACEHOLDERS = {
  telemetry: ['tenant', 'measurement'],
  events: ['tenant', 'service', 'type'],
} as const;

const PLACEHOLDER = /\{([a-z]+)\}/g;

/** Why the template cannot make topics for this stream, or undefined when it can. */
export function topicTemplateProblem(
  template: string,
  stream: keyof typeof TOPIC_PLACEHOLDERS,
): string | undefined {
  const allowed: readonly string[] = TOPIC_PLACEHOLDERS[stream];
  for (const [, name] of template.matchAll(PLACEHOLDER))
    if (!allowed.includes(name!))
      return `"{${name}}" is not known for ${stream}; use ${allowed.map((a) => `{${a}}`).join(', ')}`;
  const literal = template.replace(PLACEHOLDER, 'x');
  if (/[+#]/.test(literal)) return 'a topic to publish to cannot hold the wildcards "+" or "#"';
  if (/[{}]/.test(literal)) return 'expected placeholders as {name}';
  if (literal.startsWith('$')) return 'topics starting with "$" belong to the broker';
  return undefined;
}

/**
 * The topic for one message. A value put into a level never adds levels or wildcards: `/`, `+`
 * and `#` in it become `_`.
 */
export function topicFor(template: string, subject: string): string {
  const [, tenant = '', first = '', ...rest] = subject.split('.');
  const values: Record<string, string> = {
    tenant,
    measurement: decodeSubjectToken(first),
    service: first,
    type: rest.join('.'),
  };
  return template.replace(PLACEHOLDER, (_, name: string) =>
    // eslint-disable-next-line no-control-regex -- NUL is forbidden in MQTT topics
    (values[name] ?? '').replace(/[/+#\u0000]/g, '_'),
  );
}
