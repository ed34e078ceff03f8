/**
 * Rate limits per client, for what costs: computations that miss the cache and uploads. The limiter itself is a
 * host's (Workers' rate limiting binding, hosts/workerd/rate-limit.ts); without one nothing is limited. A client
 * over its limit gets a 429 problem with Retry-After, before any work starts.
 */
import type { Context } from 'hono';
import type { AppEnv } from './app-env.js';
import { ApiProblem, PROBLEM } from './problem.js';
import type { LimitedWork } from './rate-limiter.js';

/** Who a request comes from: the address the edge saw (CF-Connecting-IP), or "local" without an edge. */
export const clientOf = (c: Context): string => c.req.header('cf-connecting-ip') ?? 'local';

const WHAT: Record<LimitedWork, string> = {
  compute: 'computations (requests whose result is not cached)',
  upload: 'uploads',
};

/** Counts one `work` for the request's client; throws the 429 problem when it is over its limit. */
export async function rateLimit(c: Context<AppEnv>, work: LimitedWork): Promise<void> {
  const limiter = c.var.app.rateLimiter;
  if (!limiter || await limiter.allow(work, clientOf(c))) return;
  const seconds = limiter.retryAfter(work);
  throw new ApiProblem(429, PROBLEM.tooManyRequests,
    `This client has started more ${WHAT[work]} than this deployment allows per ${seconds} s; retry after ${seconds} s.`,
    { limit: work, retryAfter: seconds }, { 'Retry-After': String(seconds) });
}
