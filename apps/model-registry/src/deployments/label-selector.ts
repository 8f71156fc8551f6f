/**
 * Kubernetes label selectors (`testbed=7,role in (a,b),!gpu`), parsed into matchLabels and
 * matchExpressions, and matched against a node's labels the way Kubernetes matches them.
 */
export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorRequirement[];
}

export class SelectorError extends Error {}

// A label key: an optional DNS prefix and a name of at most 63 characters.
const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

function key(text: string, requirement: string): string {
  if (!KEY.test(text))
    throw new SelectorError(`"${requirement}": "${text}" is not a valid label key`);
  return text;
}

function value(text: string, requirement: string): string {
  if (!VALUE.test(text))
    throw new SelectorError(`"${requirement}": "${text}" is not a valid label value`);
  return text;
}

/** Splits on commas outside parentheses. */
function requirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const char = selector[i];
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (depth < 0) throw new SelectorError('unbalanced parentheses');
    if (char === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new SelectorError('unbalanced parentheses');
  parts.push(selector.slice(start));
  return parts.map((part) => part.trim());
}

export function parseLabelSelector(selector: string): LabelSelector {
  const result: LabelSelector = { matchLabels: {}, matchExpressions: [] };
  if (selector.trim() === '') throw new SelectorError('the selector is empty');
  for (const requirement of requirements(selector)) {
    if (requirement === '') throw new SelectorError('empty requirement (two commas in a row?)');
    let match: RegExpExecArray | null;
    if ((match = /^!\s*(\S+)$/.exec(requirement))) {
      result.matchExpressions.push({
        key: key(match[1]!, requirement),
        operator: 'DoesNotExist',
        values: [],
      });
    } else if ((match = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(requirement))) {
      const k = key(match[1]!, requirement);
      const v = value(match[3]!, requirement);
      if (match[2] === '!=')
        result.matchExpressions.push({ key: k, operator: 'NotIn', values: [v] });
      else if (k in result.matchLabels && result.matchLabels[k] !== v)
        throw new SelectorError(`"${k}" is required to equal two different values`);
      else result.matchLabels[k] = v;
    } else if ((match = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(requirement))) {
      const values = match[3]!.split(',').map((v) => value(v.trim(), requirement));
      if (values.length === 0 || values.every((v) => v === ''))
        throw new SelectorError(`"${requirement}": the set of values is empty`);
      result.matchExpressions.push({
        key: key(match[1]!, requirement),
        operator: match[2] === 'in' ? 'In' : 'NotIn',
        values,
      });
    } else if (/^\S+$/.test(requirement)) {
      result.matchExpressions.push({
        key: key(requirement, requirement),
        operator: 'Exists',
        values: [],
      });
    } else {
      throw new SelectorError(
        `"${requirement}" is not a requirement (key=value, key!=value, key in (a,b), key notin (a,b), key or !key)`,
      );
    }
  }
  return result;
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels)) if (labels[k] !== v) return false;
  for (const requirement of selector.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
    switch (requirement.operator) {
      case 'In':
        if (!has || !requirement.values.includes(labels[requirement.key]!)) return false;
        break;
      case 'NotIn':
        if (has && requirement.values.includes(labels[requirement.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default: {
        const never: never = requirement.operator;
        throw new Error(`unknown operator ${String(never)}`);
      }
    }
  }
  return true;
}
