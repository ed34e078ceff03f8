/**
 * The Cloudflare Worker entry: the API app wired to the bundled models, workerd's onnxruntime and the Workers
 * Cache API. Static files (the Astro site) are served by the assets binding before this code runs.
 */
import { createApp } from './api/app.js';
import { workersCache } from './api/cache.js';
import { builtinRegistry } from './hosts/workerd/registry.js';
import { bundledSamples } from './hosts/workerd/samples.js';
import { loadOrt } from './hosts/workerd/ort.js';

export interface Env {
  ASSETS: Fetcher;
  /** per-request work limit in GFLOP (wrangler.toml [vars]) */
  MAX_GFLOP?: string;
}

let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createApp({
      registry: builtinRegistry,
      loadOrt,
      samples: bundledSamples,
      cache: workersCache(),
      ...(env.MAX_GFLOP ? { maxGflop: Number(env.MAX_GFLOP) } : {}),
    });
    // Static files normally never reach the Worker (the asset router answers first); anything else outside the
    // API goes to the assets binding, which serves the site's 404 page.
    if (!new URL(request.url).pathname.startsWith('/api/')) return env.ASSETS.fetch(request);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
