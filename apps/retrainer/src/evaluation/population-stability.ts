/** A reference histogram of one feature, as the registry keeps it in a version's inputProfile. */
export interface FeatureProfile {
  /** Either counts.length + 1 bin edges, or counts.length upper bounds (last bin open). */
  bins: number[];
  counts: number[];
}

/** Index of the bin a value falls in; values outside the edges go to the outer bins. */
export function binIndex(profile: FeatureProfile, value: number): number {
  const { bins, counts } = profile;
  const last = counts.length - 1;
  if (bins.length === counts.length + 1) {
    // Edges: bin i holds [bins[i], bins[i+1]).
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (value >= bins[mid]!) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  // Upper bounds: the first bin whose bound is at or above the value.
  let lo = 0;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= bins[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function isUsableProfile(profile: FeatureProfile): boolean {
  return (
    profile.counts.length > 0 &&
    (profile.bins.length === profile.counts.length ||
      profile.bins.length === profile.counts.length + 1) &&
    profile.counts.some((count) => count > 0)
  );
}

/** Empty bins would make the index infinite; a small floor is the usual remedy. */
const FLOOR = 1e-4;

/** Population stability index of live counts against the reference counts of the same bins. */
export function populationStabilityIndex(reference: number[], live: number[]): number {
  const referenceTotal = reference.reduce((a, b) => a + b, 0);
  const liveTotal = live.reduce((a, b) => a + b, 0);
  if (referenceTotal === 0 || liveTotal === 0) return 0;
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const expected = Math.max(reference[i]! / referenceTotal, FLOOR);
    const actual = Math.max((live[i] ?? 0) / liveTotal, FLOOR);
    psi += (actual - expected) * Math.log(actual / expected);
  }
  return psi;
}
