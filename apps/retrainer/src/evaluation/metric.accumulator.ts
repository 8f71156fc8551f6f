import type { MetricName, Task } from '../monitors/monitor-spec.schema';

/**
 * Running sums of one window: enough to compute every metric of its task at close without
 * keeping a single observation. JSON-serialisable, so it survives restarts as it is.
 */
export type MetricAccumulator =
  | { task: 'regression'; n: number; sumAbs: number; sumSq: number; sumApe: number; nApe: number }
  | {
      task: 'classification';
      n: number;
      correct: number;
      confusion: Record<string, Record<string, number>>;
    };

export function emptyAccumulator(task: Task): MetricAccumulator {
  return task === 'regression'
    ? { task, n: 0, sumAbs: 0, sumSq: 0, sumApe: 0, nApe: 0 }
    : { task, n: 0, correct: 0, confusion: {} };
}

export type ObservedValue = number | string | boolean;

/**
 * Adds one pair. Returns false when the values do not fit the task (a label sent to a
 * regression monitor), which the caller counts instead.
 */
export function accumulate(
  acc: MetricAccumulator,
  predicted: ObservedValue,
  actual: ObservedValue,
): boolean {
  if (acc.task === 'regression') {
    if (typeof predicted !== 'number' || typeof actual !== 'number') return false;
    const error = predicted - actual;
    acc.n += 1;
    acc.sumAbs += Math.abs(error);
    acc.sumSq += error * error;
    // MAPE is undefined where the actual is 0; those pairs count for MAE and RMSE only.
    if (actual !== 0) {
      acc.sumApe += Math.abs(error / actual);
      acc.nApe += 1;
    }
    return true;
  }
  const p = String(predicted);
  const a = String(actual);
  acc.n += 1;
  if (p === a) acc.correct += 1;
  const row = (acc.confusion[a] ??= {});
  row[p] = (row[p] ?? 0) + 1;
  return true;
}

/** The metric of a window, or null when it has no defined value (no pairs, all actuals 0). */
export function metricValue(
  acc: MetricAccumulator,
  metric: MetricName,
  positiveLabel?: ObservedValue,
): number | null {
  if (acc.n === 0) return null;
  if (acc.task === 'regression') {
    if (metric === 'mae') return acc.sumAbs / acc.n;
    if (metric === 'rmse') return Math.sqrt(acc.sumSq / acc.n);
    if (metric === 'mape') return acc.nApe === 0 ? null : (100 * acc.sumApe) / acc.nApe;
    // A classification metric never reaches regression sums (the spec schema refuses it).
    return null;
  }
  if (metric === 'accuracy') return acc.correct / acc.n;
  const labels =
    positiveLabel !== undefined
      ? [String(positiveLabel)]
      : [
          ...new Set([
            ...Object.keys(acc.confusion),
            ...Object.values(acc.confusion).flatMap(Object.keys),
          ]),
        ];
  const perLabel = labels.map((label) => classScores(acc.confusion, label));
  const pick = (scores: { precision: number; recall: number; f1: number }): number =>
    metric === 'precision' ? scores.precision : metric === 'recall' ? scores.recall : scores.f1;
  return perLabel.reduce((sum, scores) => sum + pick(scores), 0) / perLabel.length;
}

function classScores(
  confusion: Record<string, Record<string, number>>,
  label: string,
): { precision: number; recall: number; f1: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [actual, row] of Object.entries(confusion)) {
    for (const [predicted, count] of Object.entries(row)) {
      if (actual === label && predicted === label) tp += count;
      else if (predicted === label) fp += count;
      else if (actual === label) fn += count;
    }
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
