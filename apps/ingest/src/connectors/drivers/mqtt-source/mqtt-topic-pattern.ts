/**
 * A topic pattern of the external MQTT source: MQTT topic levels where `{name}` is a
 * single-level wildcard whose value is captured: `{measurement}` names the measurement,
 * `{field}` the field of a bare value, any other name a tag. `+` and a final `#` are wildcards whose values are dropped.
 * `plant/{line}/{measurement}` subscribes to `plant/+/+` and maps `plant/L1/spindle` to
 * measurement `spindle`, tag `line=L1`.
 */
export interface TopicPattern {
  /** The MQTT topic filter subscribed to. */
  filter: string;
  /** Per level: a literal, a wildcard, or the name a captured level goes to. */
  levels: PatternLevel[];
}

type PatternLevel =
  | { kind: 'literal'; text: string }
  | { kind: 'capture'; name: string }
  | { kind: 'any' }
  | { kind: 'rest' };

export interface TopicMatch {
  measurement: string | undefined;
  field: string | undefined;
  tags: Record<string, string>;
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_-]{0,63})\}$/;

/** The pattern, or the reason it is not one (for a 400 naming the field). */
export function parseTopicPattern(pattern: string): TopicPattern | string {
  if (pattern.length === 0) return 'expected a topic pattern';
  if (pattern.startsWith('$')) return 'topics starting with "$" belong to the broker';
  const parts = pattern.split('/');
  const levels: PatternLevel[] = [];
  const names = new Set<string>();
  for (const [index, part] of parts.entries()) {
    const capture = CAPTURE.exec(part);
    if (capture) {
      const name = capture[1]!;
      if (names.has(name)) return `"{${name}}" appears twice`;
      names.add(name);
      levels.push({ kind: 'capture', name });
    } else if (part === '+') levels.push({ kind: 'any' });
    else if (part === '#') {
      if (index !== parts.length - 1) return '"#" is allowed only as the last level';
      levels.push({ kind: 'rest' });
    } else if (/[+#{}]/.test(part))
      return `level "${part}" mixes text with "+", "#" or braces; a wildcard takes a whole level`;
    // eslint-disable-next-line no-control-regex -- MQTT forbids NUL; control characters make no topic
    else if (/[\u0000-\u001f]/.test(part)) return `level ${index + 1} holds a control character`;
    else levels.push({ kind: 'literal', text: part });
  }
  const filter = levels
    .map((level) => (level.kind === 'literal' ? level.text : level.kind === 'rest' ? '#' : '+'))
    .join('/');
  return { filter, levels };
}

/** The measurement and tags a topic gives, or undefined if the topic does not fit the pattern. */
export function matchTopic(pattern: TopicPattern, topic: string): TopicMatch | undefined {
  const parts = topic.split('/');
  const tags: Record<string, string> = {};
  let measurement: string | undefined;
  let field: string | undefined;
  for (const [index, level] of pattern.levels.entries()) {
    if (level.kind === 'rest') return { measurement, field, tags };
    const part = parts[index];
    if (part === undefined) return undefined;
    if (level.kind === 'literal' && part !== level.text) return undefined;
    if (level.kind === 'capture') {
      // An empty level (`a//b`) gives no name: the topic does not fit.
      if (part === '') return undefined;
      if (level.name === 'measurement') measurement = part;
      else if (level.name === 'field') field = part;
      else tags[level.name] = part;
    }
  }
  return parts.length === pattern.levels.length ? { measurement, field, tags } : undefined;
}
