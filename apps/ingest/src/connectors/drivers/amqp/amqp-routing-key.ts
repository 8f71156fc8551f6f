/** The placeholders a sink's routing key may use. */
const PLACEHOLDERS = ['tenant', 'subject', 'measurement', 'event'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Why a routing key template is wrong, or undefined when it is fine. */
export function routingKeyTemplateProblem(template: string): string | undefined {
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(name!))
      return `unknown placeholder {${name}}; expected ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (/[{}]/.test(rest)) return 'unbalanced "{" or "}"';
  return undefined;
}

/** The placeholders a stream gives: a telemetry subject has no event, an event no measurement. */
export function placeholdersOf(template: string): Placeholder[] {
  return [...template.matchAll(PLACEHOLDER)].map(([, name]) => name as Placeholder);
}

/**
 * The routing key of one message from its NATS subject: `telemetry.<tenant>.<measurement>`
 * or `events.<tenant>.<service>.<type>`.
 */
export function routingKeyFor(template: string, subject: string): string {
  const [, tenant = '', ...rest] = subject.split('.');
  const below = rest.join('.');
  const values: Record<Placeholder, string> = {
    tenant,
    subject,
    measurement: subject.startsWith('telemetry.') ? below : '',
    event: subject.startsWith('events.') ? below : '',
  };
  return template.replace(PLACEHOLDER, (_, name: Placeholder) => values[name]);
}
