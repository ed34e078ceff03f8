/**
 * Whether a computation's numbers are all finite. A model that overflows for some inputs (or a search that blows
 * up) gives NaN or infinity somewhere; such a result is refused instead of being served and cached as immutable.
 */
import type { AscentResult } from './ascent.js';

/** The first part of `r` holding a NaN or an infinity ('objective', 'logits', ...), or undefined when all are finite. */
export function nonFinitePart(r: AscentResult): string | undefined {
  const parts: [string, ArrayLike<number>][] = [
    ['objective', r.objective], ['score', r.score], ['logits', r.logits], ['probabilities', r.probabilities], ['images', r.images],
    ...r.trace.objective.map((t): [string, number[]] => ['trace', t]),
  ];
  for (const [name, values] of parts) {
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return name;
  }
  return undefined;
}

/** Whether every value is finite. */
export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}
