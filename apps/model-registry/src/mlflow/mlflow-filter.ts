import { ProblemException } from '@iotwins/http';

/** What a search filter of MLflow's grammar may say here: name and tag conditions joined by AND. */
export interface MlflowFilter {
  name?: string;
  namePrefix?: string;
  tags: string[];
  /** `key=value` pairs that must not match (the client excludes prompts this way). */
  excludeTags: string[];
  runId?: string;
}

const CONDITION =
  /^\s*(name|run_id|tags?\.`?([^`=!\s]+)`?)\s*(!=|=|LIKE|ILIKE)\s*'((?:[^'\\]|\\.)*)'\s*$/i;

/**
 * Parses `name = 'x'`, `name LIKE 'prefix%'`, `tags.key = 'v'` and `run_id = 'r'` joined by
 * AND. Anything else is refused with a message naming what is supported, rather than
 * silently widening the search.
 */
export function parseMlflowFilter(filter: string | undefined): MlflowFilter {
  const result: MlflowFilter = { tags: [], excludeTags: [] };
  if (filter === undefined || filter.trim() === '') return result;
  for (const clause of filter.split(/\s+AND\s+/i)) {
    const match = CONDITION.exec(clause);
    if (!match) throw unsupported(clause);
    const [, field, tagKey, operator, raw] = match as unknown as [
      string,
      string,
      string | undefined,
      string,
      string,
    ];
    const value = raw.replace(/\\(.)/g, '$1');
    const op = operator.toUpperCase();
    if (field.toLowerCase() === 'name') {
      if (op === '=') result.name = value;
      else if (/^[^%_]*%$/.test(value)) result.namePrefix = value.slice(0, -1);
      else throw unsupported(clause);
    } else if (field.toLowerCase() === 'run_id' && op === '=') {
      result.runId = value;
    } else if (tagKey !== undefined && op === '=') {
      result.tags.push(`${tagKey}=${value}`);
    } else if (tagKey !== undefined && op === '!=') {
      result.excludeTags.push(`${tagKey}=${value}`);
    } else {
      throw unsupported(clause);
    }
  }
  return result;
}

function unsupported(clause: string): ProblemException {
  return ProblemException.of(
    400,
    'unsupported-filter',
    `Unsupported filter "${clause.trim()}": this registry supports name = '...', name LIKE 'prefix%', tags.<key> = or != '...' and run_id = '...', joined by AND`,
  );
}
