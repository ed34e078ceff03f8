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

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
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

/** Warm-up runs, then `reps` measured runs. */
export async function repeat(work: () => unknown, reps: number, warmup = 1): Promise<Timing[]> {
  for (let i = 0; i < warmup; i++) await work();
  const out: Timing[] = [];
  for (let i = 0; i < reps; i++) out.push(await timed(work));
  return out;
}

export const medianCpu = (ts: readonly Timing[]) => median(ts.map((t) => t.cpuMs));
export const medianWall = (ts: readonly Timing[]) => median(ts.map((t) => t.wallMs));

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
