/** What a host gives the app to limit requests per client (AppDeps.rateLimiter; Workers: hosts/workerd/rate-limit.ts). */
export type LimitedWork = 'compute' | 'upload';

export interface RateLimiter {
  /** true when `client` may do one more `work` now */
  allow(work: LimitedWork, client: string): Promise<boolean>;
  /** seconds until a refused client may try again (the limiter's period) */
  retryAfter(work: LimitedWork): number;
}
