import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// Two projects side by side: plain Node tests (compiler against tfjs, models, corpus, browser) and tests that
// run inside workerd, the Workers runtime, through the Cloudflare vitest pool (the API as deployed).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          // one process for all files (tfjs, onnxruntime and the compiler load once; the files that need the running
          // product share one wrangler dev: helpers/server.ts). A file that changes a process-wide setting (the
          // tfjs backend) restores it.
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.test.ts'],
          // one workerd for all files: each file in its own would load the Worker's modules again (onnxruntime's
          // 14 MB of wasm, the models: about a minute a file on 2 cores). Each file gets an empty bucket (setup.ts)
          // and a new Worker where it needs other bindings (createWorker); the Cache API is shared, so a test that
          // expects a miss uses a query no other file asks.
          isolate: false,
          setupFiles: ['test/worker/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
