/**
 * Runs many samples (noisy copies, path points) through a gradient runner as one batch; inputs larger than
 * MAX_BATCH_ELEMENTS in total are split into a few batches so a big uploaded image cannot exhaust the isolate's
 * memory (the built-in 28x28 models always run in one).
 */
import type { GradientRunner, StepOutput } from '../engine/runner.js';

/** About 4 MB of float32 input per batch; onnxruntime's activations grow in proportion. */
export const MAX_BATCH_ELEMENTS = 1 << 20;

export async function runRows(runner: GradientRunner, x: Float32Array, rows: number, weights: Float32Array): Promise<StepOutput> {
  const size = runner.sampleSize;
  const per = Math.max(1, Math.floor(MAX_BATCH_ELEMENTS / size));
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
