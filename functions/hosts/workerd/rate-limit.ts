/**
 * Workers' rate limiting binding as the app's RateLimiter: one binding per kind of work (wrangler.toml
 * [[ratelimits]]: COMPUTE_LIMITER, UPLOAD_LIMITER), keyed by client address. The binding's period (10 or 60 s)
 * is the Retry-After.
 */
import type { LimitedWork, RateLimiter } from '../../api/rate-limiter.js';

export interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export function bindingRateLimiter(bindings: Partial<Record<LimitedWork, Limiter>>, periodSeconds = 60): RateLimiter {
  return {
    async allow(work, client) {
      const binding = bindings[work];
      return binding ? (await binding.limit({ key: `${work}:${client}` })).success : true;
    },
    retryAfter: () => periodSeconds,
  };
}
