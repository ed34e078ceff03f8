/**
 * Runs many samples (noisy copies, path points) through a gradient runner as one batch; inputs larger than
 * MAX_BATCH_ELEMENTS in total, or whose run would hold more than MAX_RUN_BYTES of tensors, are split into a few
 * batches so a big uploaded image or a wide network cannot exhaust the isolate's memory.
 */
import type { GradientRunner, StepOutput } from '../engine/runner.js';

/** About 4 MB of float32 input per batch; onnxruntime's activations grow in proportion. */
export const MAX_BATCH_ELEMENTS = 1 << 20;

/** About 16 MiB of a run's tensors (forward, backward and temporaries: 3x the forward's per sample) per batch. */
export const MAX_RUN_BYTES = 16 * 1024 * 1024;

/** Rows of one run: within both bounds, at least one. */
export function rowsPerRun(runner: GradientRunner): number {
  const perRow = 3 * (runner.meta.memory?.perRowBytes ?? 0);
  return Math.max(1, Math.min(Math.floor(MAX_BATCH_ELEMENTS / runner.sampleSize), perRow > 0 ? Math.floor(MAX_RUN_BYTES / perRow) : Infinity));
}

export async function runRows(runner: GradientRunner, x: Float32Array, rows: number, weights: Float32Array): Promise<StepOutput> {
  const size = runner.sampleSize;
  const per = rowsPerRun(runner);
  if (rows <= per) return runner.run(x, rows, weights);
  const out: StepOutput = {
    grad: new Float32Array(rows * size),
    objective: new Float32Array(rows),
    logits: new Float32Array(rows * runner.classes),
    wrt: [],
  };
  for (let start = 0; start < rows; start += per) {
    const count = Math.min(per, rows - start);
    const r = await runner.run(x.subarray(start * size, (start + count) * size), count, weights);
    out.grad.set(r.grad, start * size);
    out.objective.set(r.objective, start);
    out.logits.set(r.logits, start * runner.classes);
  }
  return out;
}
