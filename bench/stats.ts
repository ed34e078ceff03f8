/**
 * Small numeric helpers for the benchmark: medians, this process's CPU clock, and timing a piece of work by
 * both CPU time (what Workers bill) and wall time.
 */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** CPU time (user + system, all threads) of this process in milliseconds. */
export function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface Timing {
  cpuMs: number;
  wallMs: number;
}

/** Runs `work` once and returns its CPU and wall time. */
export async function timed(work: () => unknown): Promise<Timing> {
  const c0 = cpuNowMs();
  const w0 = performance.now();
  await work();
  return { cpuMs: cpuNowMs() - c0, wallMs: performance.now() - w0 };
}

/**
 * Repeats `run` (which returns the cost of one run) until the cost has settled: JIT and WebAssembly tier-up
 * in V8 make the first tens of requests slower, so a fixed small warm-up is not enough. Settled means the
 * median of the last `window` runs is within 10% of the median of the `window` runs before; bounded by
 * `maxRuns` and `maxMs` of wall time. Returns the costs seen.
 */
export async function warmUntilSettled(run: () => Promise<number>, opts: { window: number; minRuns?: number; maxRuns: number; maxMs: number }): Promise<number[]> {
  const costs: number[] = [];
  const end = performance.now() + opts.maxMs;
  const w = opts.window;
  while (costs.length < opts.maxRuns && performance.now() < end) {
    costs.push(await run());
    if (costs.length >= Math.max(2 * w, opts.minRuns ?? 0)) {
      const last = median(costs.slice(-w));
      const before = median(costs.slice(-2 * w, -w));
      if (Math.abs(last - before) <= 0.1 * before) break;
    }
  }
  return costs;
}
