/**
 * The limits one request must stay within, and the check against them. Every resource a request can use up gets
 * a field in `Limits` (its configured maximum) and in `Need` (the estimate for a request, made before any work),
 * so adding a limit (memory, response size) is a field here, an estimate, and a word in `RESOURCES`.
 */

export interface Limits {
  /** CPU milliseconds per request (wrangler.toml MAX_CPU_MS) */
  cpuMs: number;
}

export type Need = Limits;

/** A few seconds of CPU: far inside what a paid Worker may spend (30 s by default), ample for the default request. */
export const DEFAULT_LIMITS: Limits = { cpuMs: 5000 };

/** How each resource is named and counted in messages. */
export const RESOURCES: { [K in keyof Limits]: { what: string; unit: string; digits: number } } = {
  cpuMs: { what: 'CPU time', unit: 'ms', digits: 0 },
};

export interface Excess {
  resource: keyof Limits;
  need: number;
  limit: number;
}

/** The resources a request would use beyond its limits (empty: it fits). */
export function exceeded(need: Need, limits: Limits): Excess[] {
  return (Object.keys(limits) as (keyof Limits)[])
    .filter((k) => need[k] > limits[k])
    .map((resource) => ({ resource, need: need[resource], limit: limits[resource] }));
}

/** "about 7,300 ms of CPU time; the limit is 5,000 ms" */
export function describeExcess(e: Excess): string {
  const r = RESOURCES[e.resource];
  const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: r.digits });
  return `about ${n(e.need)} ${r.unit} of ${r.what}; the limit is ${n(e.limit)} ${r.unit}`;
}

/** Limits as a host configures them (strings from the environment, or numbers). */
export type LimitsConfig = { [K in keyof Limits]?: string | number | undefined };

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
