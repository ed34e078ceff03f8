/**
 * The CPU budget of one request. The work of a maximize request is steps x batch x (forward + backward FLOPs
 * of the model), the backward about twice the forward. Requests over the configured limit are refused with 422
 * before any computation, so no query string can run up the bill.
 */
import { ApiProblem, PROBLEM } from './problem.js';

/** Default limit in GFLOP: about 2 s of CPU for the wasm build of onnxruntime on one core. */
export const DEFAULT_MAX_GFLOP = 20;

export function gradientGflop(forwardFlops: number, steps: number, batch: number, fixedBatch: number | null): number {
  const rows = fixedBatch ? Math.ceil(batch / fixedBatch) * fixedBatch : batch;
  return (3 * forwardFlops * rows * (steps + 1)) / 1e9;
}

export function checkBudget(gflop: number, limit: number, advice = 'Lower steps or restarts.'): void {
  if (gflop > limit) {
    throw new ApiProblem(422, PROBLEM.overBudget,
      `This request needs about ${gflop.toFixed(1)} GFLOP of gradient computation; the limit is ${limit} GFLOP per request. ${advice}`,
      { limit: { gflop: limit }, requested: { gflop: Number(gflop.toFixed(3)) } });
  }
}

/**
 * An animation's frames, in GFLOP of the same budget: composing and LZW-encoding a GIF costs about 50 ns per
 * pixel of every frame (measured in Node, 224x224 frames), and the budget's 1 GFLOP stands for about 0.1 s.
 */
export function frameGflop(frames: number, pixelsPerFrame: number): number {
  return (frames * pixelsPerFrame * 50e-9) / 0.1;
}
