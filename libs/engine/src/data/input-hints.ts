// Hints appended to input errors, so a first-day mistake says how to fix it: the header name nearest a
// misspelt column name, and the preprocessing spec when a raw table meets a model that takes encoded input.
// They name header names only, never a cell: cells are personal data.

/** Optimal-string-alignment edit distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The name in `names` nearest to `typed`, ignoring case, when it is near enough to be a plausible typo
 * (at most 2 edits, or a third of the typed length for long names, and fewer edits than the typed name has
 * characters, so 'y' never suggests 'x'); the first in order on a tie. Undefined when none is.
 */
export function nearestName(typed: string, names: readonly string[]): string | undefined {
  const wanted = typed.toLowerCase();
  const limit = Math.min(Math.max(2, Math.floor(wanted.length / 3)), wanted.length - 1);
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(wanted, name.toLowerCase());
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** "; did you mean 'X'?" with the nearest header name, or '' when none is near. */
export function didYouMean(typed: string, names: readonly string[]): string {
  const nearest = nearestName(typed, names);
  return nearest !== undefined && nearest !== typed ? `; did you mean '${nearest}'?` : '';
}

/** For a feature count that does not match the model when the file looks like a raw, unencoded table. */
export const RAW_TABLE_HINT =
  'if the file is a raw table (string categories, missing values), describe its encoding with --preprocessing spec.json (docs/preprocessing.md)';
