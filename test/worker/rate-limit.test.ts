/**
 * Per-client rate limits: computations that miss the cache and uploads are counted per client address (the
 * Workers rate limiting binding, here a counter with the binding's interface); over the limit a client gets a 429
 * problem with Retry-After before any work starts, other clients and cached results are not affected.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app.js';
import { memoryCache } from '../../functions/api/cache.js';
import { builtinRegistry } from '../../functions/hosts/workerd/registry.js';
import { builtinProgram, instantiateKernel } from '../../functions/hosts/workerd/kernel.js';
import { loadOrt } from '../../functions/hosts/workerd/ort.js';
import { bindingRateLimiter, type Limiter } from '../../functions/hosts/workerd/rate-limit.js';
import { r2Store } from '../../functions/hosts/workerd/r2.js';
import { bundledSamples } from '../../functions/hosts/workerd/samples.js';
import { UploadStore } from '../../functions/registry/uploads.js';
import { expectProblem } from './helpers.js';

/** A limiter allowing `limit` calls per key (the binding's `simple = { limit, period }`, within one period). */
function counter(limit: number): Limiter {
  const seen = new Map<string, number>();
  return {
    async limit({ key }) {
      seen.set(key, (seen.get(key) ?? 0) + 1);
      return { success: seen.get(key)! <= limit };
    },
  };
}

describe('rate limits', () => {
  it('are off in local development (.dev.vars), on when deployed (wrangler.toml)', () => {
    expect((env as unknown as { RATE_LIMITS?: string }).RATE_LIMITS).toBe('off');
  });

  it('answer 429 with Retry-After past the limit, per client, and never for cached results', async () => {
    const app = createApp({
      registry: builtinRegistry, loadOrt, instantiateKernel, builtinProgram, samples: bundledSamples, cache: memoryCache(),
      uploads: new UploadStore(r2Store((env as unknown as { MODELS: R2Bucket }).MODELS)),
      rateLimiter: bindingRateLimiter({ compute: counter(2), upload: counter(1) }),
    });
    const send = (path: string, client: string) => app.request(`http://ascent.test${path}`, { headers: { 'cf-connecting-ip': client } });
    const url = (k: number) => `/api/v1/maximize?model=fashion-mlp&class=${k}&steps=2&format=json`;
    expect((await send(url(1), '192.0.2.1')).status).toBe(200);
    expect((await send('/api/v1/predict?model=fashion-mlp&sample=3', '192.0.2.1')).status).toBe(200);
    const refused = await send(url(2), '192.0.2.1');
    expect(refused.headers.get('retry-after')).toBe('60');
    const p = await expectProblem(refused, 429);
    expect(p.type).toMatch(/too-many-requests/);
    expect(p.detail).toMatch(/computations .* per 60 s; retry after 60 s/);
    // a cached result is served to the same client; another client computes
    const again = await send(url(1), '192.0.2.1');
    expect(again.headers.get('x-ascent-cache'), `${again.status} ${await again.clone().text()}`.slice(0, 300)).toBe('hit');
    expect((await send(url(2), '198.51.100.7')).status).toBe(200);
    // uploads have their own count
    const upload = () => app.request('http://ascent.test/api/v1/models', { method: 'POST', body: new Uint8Array(8), headers: { 'cf-connecting-ip': '192.0.2.1', 'content-type': 'application/octet-stream' } });
    expect((await upload()).status).not.toBe(429);
    await expectProblem(await upload(), 429);
  });
});
