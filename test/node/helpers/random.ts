/**
 * Seeded random numbers for the compiler tests, so every run builds the same models and inputs.
 * A 32-bit state advanced by a Weyl step and finished with an integer mixer (the splitmix32 pattern).
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `n` values uniform in [lo, hi). */
  floats(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** `n` values with lo <= |v| < hi and a random sign: keeps inputs away from kinks at 0 (Relu, Abs...). */
  signedAway(n: number, lo = 1e-2, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = (this.next() < 0.5 ? -1 : 1) * this.uniform(lo, hi);
    return out;
  }

  /**
   * `n` distinct values spread over [lo, hi), at least (hi - lo) / (2n) apart, in random order: no ties for
   * max pooling, whose gradient is undefined at a tie.
   */
  distinct(n: number, lo = -1, hi = 1): Float32Array {
    const step = (hi - lo) / n;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + step * (i + 0.25 + 0.5 * this.next());
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }
}
