/**
 * The limits one request must stay within, and the check against them. Every resource a request can use up gets
 * a field in `Limits` (its configured maximum) and in `Need` (the estimate for a request, made before any work),
 * so adding a limit is a field here, an estimate, and a word in `RESOURCES`.
 */

export interface Limits {
  /** CPU milliseconds per request (wrangler.toml MAX_CPU_MS) */
  cpuMs: number;
  /** bytes a request may allocate at its peak (wrangler.toml MAX_MEMORY_MB): program runs, engine arrays, rendering */
  memoryBytes: number;
  /** bytes of a response body (wrangler.toml MAX_RESPONSE_MB) */
  responseBytes: number;
}

/** What a request needs of each resource; a resource left out is not used by it. */
export type Need = Partial<Limits>;

const MiB = 1024 * 1024;

/**
 * A few seconds of CPU: far inside what a paid Worker may spend (30 s by default), ample for the default request.
 * Half of the isolate's 128 MB for one request's memory (the other half holds onnxruntime, the kernel, the models,
 * the caches and the requests running beside it), and 16 MiB for a response (64 restarts of a 28x28 model at the
 * default scale in colour are 10 MiB of pixels).
 */
export const DEFAULT_LIMITS: Limits = { cpuMs: 5000, memoryBytes: 64 * MiB, responseBytes: 16 * MiB };

/** How each resource is named and counted in messages (`per`: how many of the limit's units make one shown unit). */
export const RESOURCES: { [K in keyof Limits]: { what: string; unit: string; per: number; digits: number } } = {
  cpuMs: { what: 'CPU time', unit: 'ms', per: 1, digits: 0 },
  memoryBytes: { what: 'memory', unit: 'MiB', per: MiB, digits: 1 },
  responseBytes: { what: 'response body', unit: 'MiB', per: MiB, digits: 1 },
};

export interface Excess {
  resource: keyof Limits;
  need: number;
  limit: number;
}

/** The resources a request would use beyond its limits (empty: it fits). */
export function exceeded(need: Need, limits: Limits): Excess[] {
  return (Object.keys(limits) as (keyof Limits)[])
    .filter((k) => (need[k] ?? 0) > limits[k])
    .map((resource) => ({ resource, need: need[resource] ?? 0, limit: limits[resource] }));
}

/** "about 7,300 ms of CPU time; the limit is 5,000 ms", "up to 156.2 MiB of memory; the limit is 64 MiB" */
export function describeExcess(e: Excess): string {
  const r = RESOURCES[e.resource];
  const n = (v: number) => (v / r.per).toLocaleString('en-US', { maximumFractionDigits: r.digits });
  return `${e.resource === 'cpuMs' ? 'about' : 'up to'} ${n(e.need)} ${r.unit} of ${r.what}; the limit is ${n(e.limit)} ${r.unit}`;
}

/** Limits as a host configures them (strings from the environment, or numbers). */
export type LimitsConfig = { [K in keyof Limits]?: string | number | undefined };

/** Mebibytes as a host configures them ("64") in bytes; absent stays absent, anything else is checked by limitsFrom. */
export const mebibytes = (v: string | number | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v) * MiB);

/** Limits from a host's configuration (absent values keep the defaults; a value that is not a positive number is an error). */
export function limitsFrom(config: LimitsConfig): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(limits) as (keyof Limits)[]) {
    if (config[k] === undefined || config[k] === '') continue;
    const v = Number(config[k]);
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`the limit ${k} must be a positive number, got ${JSON.stringify(config[k])}`);
    limits[k] = v;
  }
  return limits;
}
