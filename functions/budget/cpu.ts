/**
 * What a computation costs in CPU milliseconds, from the model's forward FLOPs (compiler/cost.ts). A gradient
 * run of onnxruntime on `rows` samples costs a fixed part (the call, copies, the optimizer step in JavaScript)
 * plus a part proportional to the arithmetic:
 *
 *   run ms  = perRunMs + rows * forwardFlops / gradientFlopsPerMs
 *   request = fixedMs + runs * run ms                 (a maximize request makes steps + 1 runs)
 *
 * The constants are fitted to measurements of the engine in workerd (`npm run bench -- --only budget`, which
 * prints a new fit next to these), rounded up so that the estimate is at or above what was measured for every
 * model of the fit: the limit a deployment sets is a promise about CPU time, and Workers bill CPU time.
 */
import type { EngineName } from '../registry/types.js';

export interface CpuModel {
  /** per request: parsing, planning, encoding the result */
  fixedMs: number;
  /** per onnxruntime run, whatever its size */
  perRunMs: number;
  /** forward FLOPs per millisecond that a gradient run gets through (forward + backward + optimizer) */
  gradientFlopsPerMs: number;
  /**
   * the same for a run of one row, when the engine is faster there: the kernel's one-row products skip the zero
   * entries of their row (ReLU outputs, ReLU-masked gradients), which a batch of rows rarely shares
   */
  oneRowFlopsPerMs?: number;
  /** forward FLOPs per millisecond of a forward-only run (the unit-activity probe) */
  forwardFlopsPerMs: number;
}

/**
 * Measured 2026-11-30 in workerd (wrangler dev 4.86, onnxruntime-web 1.30 wasm, one thread) on an AMD EPYC
 * shared by other jobs: fashion-mlp 0.11 ms per step, fashion-cnn 0.41 ms, a PyTorch two-conv net of 24 MFLOP
 * 2.3 ms; see bench/budget.ts.
 */
export const WORKERD_CPU: CpuModel = { fixedMs: 20, perRunMs: 0.1, gradientFlopsPerMs: 8e6, forwardFlopsPerMs: 24e6 };

/**
 * Ascent's WebAssembly kernel in workerd (one call runs the whole ascent: no per-run call, no copies), measured
 * 2026-12-01 with `npm run bench` (workerd CPU per request, the runtime's own per-request work included; five
 * runs): one row, fashion-mlp 5.7-9.2 ms a default request, 6-16 us a step (0.20 MFLOP forward), fashion-cnn
 * 34-41 ms, 117-144 us a step (1.78 MFLOP); ten rows (restarts=10), fashion-mlp 36-44 ms, fashion-cnn 429-518 ms,
 * 1.64-1.98 ms a step (since then about a fifth less: their rows skip zeros too). A convolution-heavy upload gains less from the one-row products: the PyTorch two-conv net of
 * test/fixtures/torch/cnn-fashion.onnx (21.4 MFLOP) measured 410-470 ms. Rounded up so that the slowest default
 * request of each is covered (estimates: fashion-mlp 9.9 ms, fashion-cnn 47 ms, with restarts=10 64 and 525 ms,
 * the two-conv net 505 ms); the fixed part is what they leave for it (a request with steps=1 measured 3.7-5.4 ms,
 * its slowest in a short, noisy series).
 */
export const WORKERD_KERNEL_CPU: CpuModel = { fixedMs: 4.4, perRunMs: 0.003, gradientFlopsPerMs: 8.8e6, oneRowFlopsPerMs: 11e6, forwardFlopsPerMs: 24e6 };

/** A CPU model per engine: what a program costs depends on which engine runs it. */
export type CpuModels = Record<EngineName, CpuModel>;

/** The models of workerd, the host Ascent is deployed on. */
export const WORKERD_CPU_MODELS: CpuModels = { onnxruntime: WORKERD_CPU, kernel: WORKERD_KERNEL_CPU };

/** Rows one run computes for `batch` samples: models with a fixed batch size run in padded chunks of it. */
export function rowsFor(batch: number, fixedBatch: number | null): number {
  return fixedBatch ? Math.ceil(batch / fixedBatch) * fixedBatch : batch;
}

/** CPU ms of `runs` gradient runs of `rows` samples each. */
export function gradientCpuMs(m: CpuModel, forwardFlops: number, rows: number, runs: number): number {
  return m.fixedMs + runs * runCpuMs(m, forwardFlops, rows);
}

/** CPU ms of one gradient run of `rows` samples. */
function runCpuMs(m: CpuModel, forwardFlops: number, rows: number): number {
  const rate = rows === 1 && m.oneRowFlopsPerMs ? m.oneRowFlopsPerMs : m.gradientFlopsPerMs;
  return m.perRunMs + (rows * forwardFlops) / rate;
}

/** CPU ms of forward runs over `samples` images in chunks of `chunk`. */
export function forwardCpuMs(m: CpuModel, forwardFlops: number, samples: number, chunk: number): number {
  return Math.ceil(samples / chunk) * m.perRunMs + (samples * forwardFlops) / m.forwardFlopsPerMs;
}

/** The work of a maximize request: `steps` gradient steps of `batch` samples, and one run of the final images. */
export interface MaximizeWork {
  forwardFlops: number;
  fixedBatch: number | null;
  batch: number;
  steps: number;
}

export function maximizeCpuMs(m: CpuModel, w: MaximizeWork): number {
  return gradientCpuMs(m, w.forwardFlops, rowsFor(w.batch, w.fixedBatch), w.steps + 1);
}

/** The most steps (at least 0) of such a request that fit in `limitMs`. */
export function stepsWithin(m: CpuModel, w: Omit<MaximizeWork, 'steps'>, limitMs: number): number {
  const perRun = runCpuMs(m, w.forwardFlops, rowsFor(w.batch, w.fixedBatch));
  return Math.max(0, Math.floor((limitMs - m.fixedMs) / perRun) - 1);
}

/**
 * An animation's frames: composing and LZW-encoding a GIF costs about 50 ns per pixel of every frame (measured in
 * Node, 224x224 frames).
 */
export function frameCpuMs(frames: number, pixelsPerFrame: number): number {
  return frames * pixelsPerFrame * 50e-6;
}
