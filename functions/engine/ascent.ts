/**
 * The optimizer loop: projected gradient ascent in input space with a fixed budget of steps.
 *
 *   for t = 1..steps:
 *     g = d objective / d x            (one run of the compiled gradient program, jittered when asked)
 *     g -= d penalties / d x           (l2, l1, tv)
 *     x = optimizer step(x, g)         (adam, sgd, normalized, sign, rmsprop)
 *     x = blur(x) every k steps
 *     x = project(x)                   (mask, eps-ball around the start image, value range)
 *   x = quantize(x) to 8 bits, and the reported scores are those of this final image.
 *
 * Several starts (restarts) are optimized together as one batch. Nothing here reads a clock or Math.random:
 * the same spec gives the same result. Every result says whether the run stalled (stall.ts); a sample whose
 * gradient is exactly zero at its start may move on to an alternative start before the first step.
 */
import { project, type Constraints } from './constraints.js';
import { sampleSize as sizeOf, type ImageLayout } from './image.js';
import { optimizer, type Optimizer, type OptimizerName } from './optimizers.js';
import { rng } from './prng.js';
import { projectLatent, type LatentSearch } from './latent.js';
import { quantize, snap, type Grid } from './quantize.js';
import { applyPenalties, blur, penalty, roll, type Regularization } from './regularizers.js';
import { type GradientRunner, type StepOutput } from './runner.js';
import { classProbability, softmaxRow } from './softmax.js';
import { StallTracker, allZero, type Stall } from './stall.js';

export interface AscentSpec {
  layout: ImageLayout;
  /** the model's input range: the 8-bit grid */
  grid: Grid;
  constraints: Constraints;
  optimizer: OptimizerName;
  lr: number;
  steps: number;
  regularization: Regularization;
  /** start images, `batch` samples in the model's layout (with `latent`: start codes, `batch` x latent size) */
  starts: Float32Array;
  /**
   * Further start images (each `batch` samples), tried in order for a sample whose gradient is exactly zero at
   * its start, before the first step: a ReLU network can be entirely inactive at a flat image.
   */
  alternatives?: Float32Array[];
  /** search the codes of a prior instead of the pixels (the runner's program then takes z) */
  latent?: LatentSearch;
  batch: number;
  /** objective weights: one row of `units` for all samples, or one row per sample */
  weights: Float32Array;
  /** per sample, the class whose probability is traced (or -1) */
  traceClass: number[];
  seed: number;
  /** called after every step with the step number and the trace so far (progress reporting); awaited */
  onStep?: (t: number, trace: AscentResult['trace']) => void | Promise<void>;
  /**
   * Steps (0 = the start, `steps` = the end, ascending) whose images are kept in `snapshots`, quantized to 8 bits
   * as the final image is (an animation's frames). An executor that runs many steps per call stops at these.
   */
  snapshots?: readonly number[];
}

/** The images after `step` steps: batch x sampleSize 8-bit levels, quantized like the final image. */
export interface Snapshot {
  step: number;
  levels: Uint8Array;
}

export interface AscentResult {
  /** final images (quantized values, model layout), batch x sampleSize */
  images: Float32Array;
  /** their 8-bit levels */
  levels: Uint8Array;
  /** the start images (snapped to the grid; with a prior, G of the start codes) */
  starts: Float32Array;
  /** with a prior: the final codes, batch x latent size */
  z?: Float32Array;
  /** per sample: objective of the final image (penalties subtracted) */
  objective: Float64Array;
  /** per sample: the raw objective (without penalties) */
  score: Float64Array;
  logits: Float32Array;
  probabilities: Float64Array;
  classes: number;
  /** per sample, per step: objective (penalized) and traced probability, before that step's update */
  trace: { objective: number[][]; probability: number[][] };
  /** the images at the steps asked for in `snapshots` (absent when none were asked for) */
  snapshots?: Snapshot[];
  /** per sample: did the run stall, and where did it start */
  stall: Stall[];
}

/** Levels of every sample of x as the final quantization would give them, without changing x. */
export function levelsOf(spec: AscentSpec, x: Float32Array, x0: Float32Array): Uint8Array {
  const size = sizeOf(spec.layout);
  const copy = Float32Array.from(x);
  const levels = new Uint8Array(spec.batch * size);
  for (let s = 0; s < spec.batch; s++) levels.set(quantize(spec.grid, spec.constraints, copy, x0, s * size, size), s * size);
  return levels;
}

/**
 * One step's arithmetic after the gradient is known, for every sample: trace, penalties, optimizer step, blur,
 * projection. A synchronous function on purpose: V8 (Node 20) runs numeric loops inlined into an async function
 * several times slower, and the loop above awaits every step.
 */
function advance(
  spec: AscentSpec, classes: number, size: number, x: Float32Array, x0: Float32Array, g: Float32Array, out: StepOutput,
  opt: Optimizer, t: number, trace: AscentResult['trace'], stall: StallTracker,
): void {
  const { layout, regularization: r, latent } = spec;
  for (let s = 0; s < spec.batch; s++) {
    const o = s * size;
    stall.step(s, t, allZero(g, o, size));
    const pen = latent ? 0 : penalty(r, layout, x, x0, o);
    trace.objective[s]!.push(out.objective[s]! - pen);
    const k = spec.traceClass[s] ?? -1;
    trace.probability[s]!.push(k >= 0 ? classProbability(out.logits, s, classes, k) : NaN);
    if (latent) {
      opt.step(x, g, o, size, t);
      projectLatent(latent, x, o, size);
      continue;
    }
    applyPenalties(r, layout, x, x0, g, o);
    opt.step(x, g, o, size, t);
    if (r.blur > 0 && t % r.blurEvery === 0) blur(layout, x, o, r.blur);
    project(spec.constraints, x, x0, o, size);
  }
}

/** The end of a search in pixel space: x quantized in place, and the scores of the quantized images. */
async function finishPixels(runner: GradientRunner, spec: AscentSpec, x: Float32Array, x0: Float32Array) {
  const size = sizeOf(spec.layout);
  const levels = new Uint8Array(spec.batch * size);
  for (let s = 0; s < spec.batch; s++) levels.set(quantize(spec.grid, spec.constraints, x, x0, s * size, size), s * size);
  const final = await runner.run(x, spec.batch, spec.weights);
  return { images: x, levels, starts: x0, final };
}

/** The end of a search through a prior: G(z) quantized, and the classifier's scores of the quantized images. */
async function finishLatent(latent: LatentSearch, spec: AscentSpec, z: Float32Array, z0: Float32Array) {
  const size = sizeOf(spec.layout);
  const images = await latent.decode(z, spec.batch);
  const starts = await latent.decode(z0, spec.batch);
  const levels = new Uint8Array(spec.batch * size);
  for (let s = 0; s < spec.batch; s++) {
    levels.set(quantize(spec.grid, spec.constraints, images, starts, s * size, size), s * size);
    snap(starts, spec.grid, s * size, size);
  }
  const final = await latent.pixels.run(images, spec.batch, spec.weights);
  return { images, levels, starts, final, z };
}

export async function ascend(runner: GradientRunner, spec: AscentSpec): Promise<AscentResult> {
  const { layout, batch, latent } = spec;
  const size = latent ? runner.sampleSize : sizeOf(layout);
  if (size !== runner.sampleSize) throw new Error(`layout holds ${size} values, the model input ${runner.sampleSize}`);
  if (latent && latent.pixels.sampleSize !== sizeOf(layout)) throw new Error(`layout holds ${sizeOf(layout)} values, the classifier's input ${latent.pixels.sampleSize}`);
  if (spec.starts.length !== batch * size) throw new Error(`${spec.starts.length} start values for ${batch} samples of ${size}`);
  const x0 = Float32Array.from(spec.starts);
  const place = (from: Float32Array, s: number) => {
    x0.set(from.subarray(s * size, (s + 1) * size), s * size);
    if (latent) {
      projectLatent(latent, x0, s * size, size);
      return;
    }
    snap(x0, spec.grid, s * size, size);
    project(spec.constraints, x0, x0, s * size, size);
  };
  for (let s = 0; s < batch; s++) place(spec.starts, s);
  const x = Float32Array.from(x0);
  const alternatives = spec.alternatives ?? [];
  const stall = new StallTracker(batch);
  const opt = optimizer(spec.optimizer, spec.lr, batch * size, latent ? 1 : spec.grid.max - spec.grid.min);
  const random = rng(spec.seed ^ 0x5eed);
  const r = spec.regularization;
  const jitter = latent ? 0 : r.jitter;
  const jittered = jitter > 0 ? new Float32Array(batch * size) : undefined;
  const shifts = new Int32Array(batch * 2);
  const unrolled = jitter > 0 ? new Float32Array(batch * size) : undefined;
  const trace = {
    objective: Array.from({ length: batch }, () => [] as number[]),
    probability: Array.from({ length: batch }, () => [] as number[]),
  };
  const wanted = new Set(spec.snapshots ?? []);
  const snapshots: Snapshot[] = [];
  // with a prior, a snapshot is G(z) quantized
  const levelsAt = async (v: Float32Array): Promise<Uint8Array> => {
    if (!latent) return levelsOf(spec, v, x0);
    const images = await latent.decode(v, batch);
    return levelsOf(spec, images, images);
  };
  /** Moves each sample with a zero gradient at its start to its next alternative start; true if any moved. */
  const nextStarts = (g: Float32Array): boolean => {
    let moved = false;
    for (let s = 0; s < batch; s++) {
      const next = alternatives[stall.start[s]!];
      if (!next || !allZero(g, s * size, size)) continue;
      stall.start[s]!++;
      place(next, s);
      x.set(x0.subarray(s * size, (s + 1) * size), s * size);
      moved = true;
    }
    return moved;
  };

  let started = false;
  for (let t = 1; t <= spec.steps; t++) {
    let input = x;
    if (jittered) {
      for (let s = 0; s < batch; s++) {
        shifts[2 * s] = random.int(-r.jitter, r.jitter);
        shifts[2 * s + 1] = random.int(-r.jitter, r.jitter);
        roll(layout, x, jittered, s * size, shifts[2 * s]!, shifts[2 * s + 1]!);
      }
      input = jittered;
    }
    const out = await runner.run(input, batch, spec.weights);
    if (t === 1 && nextStarts(out.grad)) {
      t--;
      continue;
    }
    if (!started) {
      // the start the run keeps (after any move to an alternative) is the first snapshot
      started = true;
      if (wanted.has(0)) snapshots.push({ step: 0, levels: await levelsAt(x) });
    }
    // the runner hands over fresh arrays: the gradient is updated in place
    let g = out.grad;
    if (unrolled) {
      for (let s = 0; s < batch; s++) roll(layout, g, unrolled, s * size, -shifts[2 * s]!, -shifts[2 * s + 1]!);
      g = unrolled;
    }
    advance(spec, runner.classes, size, x, x0, g, out, opt, t, trace, stall);
    if (t < spec.steps && wanted.has(t)) snapshots.push({ step: t, levels: await levelsAt(x) });
    await spec.onStep?.(t, trace);
  }

  if (!started && wanted.has(0)) snapshots.push({ step: 0, levels: await levelsAt(x) });
  const end = latent ? await finishLatent(latent, spec, x, x0) : await finishPixels(runner, spec, x, x0);
  const { final, ...result } = end;
  if (spec.steps > 0 && wanted.has(spec.steps)) snapshots.push({ step: spec.steps, levels: result.levels });
  const classes = runner.classes;
  const probabilities = new Float64Array(batch * classes);
  const objective = new Float64Array(batch);
  const score = new Float64Array(batch);
  const pixels = sizeOf(layout);
  for (let s = 0; s < batch; s++) {
    probabilities.set(softmaxRow(final.logits, s, classes), s * classes);
    score[s] = final.objective[s]!;
    objective[s] = final.objective[s]! - (latent ? 0 : penalty(r, layout, result.images, result.starts, s * pixels));
  }
  const first = trace.objective.map((o) => o[0] ?? NaN);
  return {
    ...result, objective, score, logits: final.logits.slice(), probabilities, classes, trace,
    ...(spec.snapshots ? { snapshots } : {}),
    stall: stall.result(first, objective),
  };
}
