/**
 * "Did you mean": the known names closest to a mistyped one, by edit distance (Levenshtein), ignoring case, and
 * counting a name that one starts the other (a plural, a suffix like ":0") as close.
 */

export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/** Known names within `within` edits of `name` (or one a prefix of the other, 3 characters or more), closest first; at most `n`. */
export function closest(name: string, known: readonly string[], within = 2, n = 3): string[] {
  const lower = name.toLowerCase();
  const score = (k: string) => {
    const l = k.toLowerCase();
    const d = distance(l, lower);
    if (d <= within) return d;
    const prefix = Math.min(l.length, lower.length) >= 3 && (l.startsWith(lower) || lower.startsWith(l));
    return prefix ? within + Math.abs(l.length - lower.length) / 1000 : Infinity;
  };
  return known
    .map((k) => [k, score(k)] as const)
    .filter(([, s]) => Number.isFinite(s))
    .sort((a, b) => a[1] - b[1])
    .slice(0, n)
    .map(([k]) => k);
}

/** ` Did you mean "x"?` or '' */
export function didYouMean(name: string, known: readonly string[], within = 2): string {
  const near = closest(name, known, within, 1);
  return near.length ? ` Did you mean "${near[0]}"?` : '';
}
