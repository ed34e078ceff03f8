import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// Two projects side by side: plain Node tests (compiler against tfjs, models, corpus, browser) and tests that
// run inside workerd, the Workers runtime, through the Cloudflare vitest pool (the API as deployed).
export default defineConfig({
  test: {
    // Two files at a time (vitest's default is one fewer than the cores: one, on a 2-core machine). A workerd file
    // spends most of its start waiting on module transfers between Node and workerd, so two overlap well.
    maxWorkers: 2,
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
          // each file in a workerd isolate of its own (the default): in one long-lived shared isolate, workerd
          // 1.20260426 was seen to spin in its incremental GC sweeper (cppgc IncrementalSweepTask) and never return to
          // the test. Each file gets an empty bucket (setup.ts) and a new Worker where it needs other bindings
          // (createWorker).
          setupFiles: ['test/worker/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
