/**
 * The Cloudflare Worker entry: the API app wired to the bundled models and their precompiled programs, Ascent's
 * WebAssembly kernel, workerd's onnxruntime (loaded only when a request needs it) and the Workers Cache API. Static files (the Astro site) are served by the assets binding before this code runs.
 */
import { createApp } from './api/app.js';
import { memoryCache, tieredCache } from './api/cache.js';
import { workersCache } from './hosts/workerd/cache.js';
import { builtinPriors, builtinRegistry } from './hosts/workerd/registry.js';
import { bundledSamples } from './hosts/workerd/samples.js';
import { loadOrt } from './hosts/workerd/ort.js';
import { builtinProgram, instantiateKernel } from './hosts/workerd/kernel.js';
import { r2Store } from './hosts/workerd/r2.js';
import { nativeDeflate } from './hosts/workerd/deflate.js';
import { bindingRateLimiter, type Limiter } from './hosts/workerd/rate-limit.js';
import { UploadStore } from './registry/uploads.js';
import { mebibytes } from './budget/limits.js';

export interface Env {
  ASSETS: Fetcher;
  /** uploaded models and compiled programs */
  MODELS?: R2Bucket;
  /** per-request CPU limit in milliseconds (wrangler.toml [vars]) */
  MAX_CPU_MS?: string;
  /** per-request memory and response-body limits in MiB (wrangler.toml [vars]) */
  MAX_MEMORY_MB?: string;
  MAX_RESPONSE_MB?: string;
  /**
   * "off": results are kept in the isolate's memory only, not in the Cache API. The benchmark uses it: `wrangler
   * dev` simulates the Cache API with another service in the Worker's own workerd process, whose CPU would
   * otherwise be read as the Worker's.
   */
  CACHE_API?: string;
  /** when set (wrangler secret put UPLOAD_TOKEN), uploads need it as a bearer token */
  UPLOAD_TOKEN?: string;
  /** per-client rate limits (wrangler.toml [[ratelimits]]); "off" (.dev.vars, local development) ignores them */
  RATE_LIMITS?: string;
  COMPUTE_LIMITER?: Limiter;
  UPLOAD_LIMITER?: Limiter;
}

/** The Worker's handler (its fetch always present, unlike ExportedHandler's). */
export interface WorkerHandler {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
}

/**
 * One isolate's Worker: the app is built on its first request, from that request's bindings, and kept (compiled
 * programs, results in memory) for the isolate's life. Each call gives a new one, as a new isolate would start.
 */
export function createWorker(): WorkerHandler {
  let app: ReturnType<typeof createApp> | undefined;
  return {
    fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
      if (!app) {
        const store = env.MODELS ? r2Store(env.MODELS) : undefined;
        app = createApp({
          registry: builtinRegistry,
          priors: builtinPriors,
          loadOrt,
          instantiateKernel,
          builtinProgram,
          samples: bundledSamples,
          deflate: nativeDeflate,
          // results seen by this isolate answer from its memory (8 MB of them); the rest from the Cache API
          cache: env.CACHE_API === 'off' ? memoryCache(8 * 1024 * 1024) : tieredCache(memoryCache(8 * 1024 * 1024), workersCache()),
          ...(store ? { uploads: new UploadStore(store), programStore: store } : {}),
          limits: { cpuMs: env.MAX_CPU_MS, memoryBytes: mebibytes(env.MAX_MEMORY_MB), responseBytes: mebibytes(env.MAX_RESPONSE_MB) },
          ...(env.UPLOAD_TOKEN ? { uploadToken: env.UPLOAD_TOKEN } : {}),
          ...(env.RATE_LIMITS !== 'off' ? { rateLimiter: bindingRateLimiter({ compute: env.COMPUTE_LIMITER, upload: env.UPLOAD_LIMITER }) } : {}),
        });
      }
      // Static files normally never reach the Worker (the asset router answers first); anything else outside the
      // API goes to the assets binding, which serves the site's 404 page.
      if (!new URL(request.url).pathname.startsWith('/api/')) return env.ASSETS.fetch(request);
      return app.fetch(request, env, ctx);
    },
  };
}

export default createWorker() satisfies ExportedHandler<Env>;
