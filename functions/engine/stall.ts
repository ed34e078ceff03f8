/**
 * Stall detection: what a run can say about itself when it did not work, so a result is never silently the start
 * image. Three facts per sample, gathered while the loop runs at the cost of a scan that stops at the first
 * non-zero gradient element:
 *   - the gradient was exactly zero at the start: every path from the input to the objective is switched off
 *     there (all ReLUs on the way inactive), so no first-order method can move;
 *   - from which step on the gradient stayed exactly zero (the search ran into such a region and stopped);
 *   - whether the final objective rose above the objective at the start at all.
 */

export interface Stall {
  /** the gradient of the objective was exactly zero at the start the run used */
  zeroGradientAtStart: boolean;
  /** first step of the last run of steps with an exactly zero gradient that lasted to the end, or null */
  zeroGradientFrom: number | null;
  /** the final objective (penalties subtracted, quantized image) is above the objective at the start */
  improved: boolean;
  /** which start was used: 0 the first one, i > 0 the i-th alternative (the ones before had a zero gradient) */
  start: number;
}

/** True when elements [o, o + n) of g are all exactly zero (stops at the first one that is not). */
export function allZero(g: Float32Array, o: number, n: number): boolean {
  const end = o + n;
  for (let i = o; i < end; i++) if (g[i] !== 0) return false;
  return true;
}

/** Per-sample bookkeeping of zero-gradient steps during a run. */
export class StallTracker {
  private readonly zeroFrom: (number | null)[];
  private readonly zeroAtStart: boolean[];
  readonly start: number[];

  constructor(batch: number) {
    this.zeroFrom = Array(batch).fill(null);
    this.zeroAtStart = Array(batch).fill(false);
    this.start = Array(batch).fill(0);
  }

  /** Records whether sample s had a zero gradient at step t. */
  step(s: number, t: number, zero: boolean): void {
    if (t === 1) this.zeroAtStart[s] = zero;
    if (!zero) this.zeroFrom[s] = null;
    else if (this.zeroFrom[s] === null) this.zeroFrom[s] = t;
  }

  /** The verdicts, given each sample's objective at the start and at the end. */
  result(first: number[], final: ArrayLike<number>): Stall[] {
    return this.start.map((start, s) => ({
      zeroGradientAtStart: this.zeroAtStart[s]!,
      zeroGradientFrom: this.zeroFrom[s]!,
      improved: improved(first[s]!, final[s]!),
      start,
    }));
  }
}

/** b is above a by more than float32 noise. */
export function improved(a: number, b: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) ? b > a + 1e-6 * Math.max(1, Math.abs(a)) : false;
}
