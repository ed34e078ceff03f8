/**
 * The onnxruntime engine in Node: `createRunner` + `ascend` (the loop the API runs for programs the kernel does
 * not cover, and ran for every program before it), with onnxruntime-web on one thread, timed by this process's
 * CPU clock around `ascend(...)` with a warm runner.
 *
 * The same run is split to show where the time goes:
 *   in run     CPU inside the 257 `runner.run` calls of a request (256 steps + the final evaluation):
 *              onnxruntime's share, including wrapping tensors and copying them in and out of the wasm heap;
 *   the rest   the JavaScript side of the loop (optimizer, projection, trace, copies of the gradient);
 *   replay     the 257 inputs of a request recorded, then run again without the loop (onnxruntime alone);
 *   constant   257 runs on a constant image (uniform input makes max-pool and ReLU branches predictable);
 *   identity   257 `session.run` calls of a one-node Identity model of the same input: the fixed cost of a call.
 */
import { ascend, type AscentSpec } from '../functions/engine/ascent.js';
import { createRunner, type GradientRunner } from '../functions/engine/runner.js';
import { NO_REGULARIZATION } from '../functions/engine/regularizers.js';
import { rng } from '../functions/engine/prng.js';
import { compileGradient, encodeProgram, programMeta } from '../functions/compiler/index.js';
import { loadOrt } from '../functions/hosts/node/ort.js';
import { identityModel } from './gradient-vs-forward.js';
import { otherThreadsMs } from './proc.js';
import { builtinModel, type BuiltinId } from './models.js';
import { cpuNowMs, median, timed, warmUntilSettled, type Timing } from './stats.js';

export const STEPS = 256;
export const LR = 0.05;
/** the class of batch-1 runs */
export const CLASS = 7;

export interface NodeEngineRow {
  model: BuiltinId;
  batch: number;
  requests: Timing[];
  warmups: number;
  /** CPU ms per request on threads other than the main one (included in the requests' CPU) */
  otherThreadsPerRequestMs: number;
  /** CPU ms inside runner.run during a request (257 calls), and the rest of the request */
  inLoopRunMs: number;
  inLoopRestMs: number;
  /** CPU ms of the 257 runner.run calls of a request replayed on their recorded inputs, and on a constant input */
  replayMs: number;
  constantMs: number;
  /** CPU ms of 257 Identity session.run calls */
  identityMs: number;
  /** mean final probability of the target class over the batch */
  probability: number;
}

/** Objective weights: class 7 for every sample (batch 10 is ten restarts of one class, as restarts=10). */
export function objectiveWeights(batch: number, classes = 10): Float32Array {
  const w = new Float32Array(batch * classes);
  for (let s = 0; s < batch; s++) w[s * classes + CLASS] = 1;
  return w;
}

/**
 * The API's default start images (init=normal, seed 0): mid-gray plus seeded noise of standard deviation 1/6,
 * clipped to [0, 1]; sample s of a batch is the s-th image of the sequence, as restarts=N draws them. Every
 * runtime of the benchmark starts from these.
 */
export function defaultStarts(batch: number, size = 784): Float32Array {
  const random = rng(0);
  return Float32Array.from({ length: batch * size }, () => Math.min(1, Math.max(0, 0.5 + random.normal() / 6)));
}

/** The default maximize request of a built-in model (28x28 gray in [0, 1], Adam) as `batch` restarts of class 7. */
export function maximizeSpec(batch: number, size = 784, classes = 10): AscentSpec {
  return {
    layout: { height: 28, width: 28, channels: 1, channelsLast: false },
    grid: { min: 0, max: 1 },
    constraints: { min: 0, max: 1, eps: 0, norm: 'linf' },
    optimizer: 'adam',
    lr: LR,
    steps: STEPS,
    regularization: NO_REGULARIZATION,
    starts: defaultStarts(batch, size),
    batch,
    weights: objectiveWeights(batch, classes),
    traceClass: Array(batch).fill(CLASS),
    seed: 0,
  };
}

/** The warm-up every runtime gets: requests until the CPU per request settles (stats.ts warmUntilSettled). */
export const WARMUP = { window: 3, minRuns: 6, maxRuns: 40, maxMs: 30_000 };
export const WARMUP_QUICK = { window: 2, minRuns: 4, maxRuns: 12, maxMs: 10_000 };

export async function nodeEngine(model: BuiltinId, batch: 1 | 10, opts: { quick: boolean }): Promise<NodeEngineRow> {
  const ort = await loadOrt();
  const m = builtinModel(model);
  const program = compileGradient(m.bytes, { input: m.input!, output: m.output! });
  const runner = await createRunner(ort, encodeProgram(program), programMeta(program));
  const spec = maximizeSpec(batch, runner.sampleSize, runner.classes);
  try {
    const warm = await warmUntilSettled(async () => (await timed(() => ascend(runner, spec))).cpuMs, opts.quick ? WARMUP_QUICK : WARMUP);
    // about 10 s of measured requests (3 s with --quick), 5 to 15 of them (3 to 8)
    const cost = median(warm.slice(-3));
    const reps = opts.quick ? Math.max(3, Math.min(8, Math.round(3000 / cost))) : Math.max(5, Math.min(15, Math.round(10_000 / cost)));
    const requests: Timing[] = [];
    let probability = NaN;
    const others0 = otherThreadsMs();
    for (let i = 0; i < reps; i++) {
      let r: Awaited<ReturnType<typeof ascend>> | undefined;
      requests.push(await timed(async () => {
        r = await ascend(runner, spec);
      }));
      if (r) probability = spec.traceClass.reduce((a, k, s) => a + r!.probabilities[s * r!.classes + k]!, 0) / batch;
    }

    const otherThreadsPerRequestMs = (otherThreadsMs() - others0) / reps;

    // onnxruntime's share inside the loop: the same requests with the runner's calls timed
    let inRun = 0;
    const timedRunner: GradientRunner = {
      ...runner,
      run: async (...args) => {
        const c0 = cpuNowMs();
        const out = await runner.run(...args);
        inRun += cpuNowMs() - c0;
        return out;
      },
    };
    const split: { total: number; run: number }[] = [];
    for (let i = 0; i < Math.ceil(reps / 2); i++) {
      inRun = 0;
      const t = await timed(() => ascend(timedRunner, spec));
      split.push({ total: t.cpuMs, run: inRun });
    }
    const inLoopRunMs = median(split.map((v) => v.run));
    const inLoopRestMs = median(split.map((v) => v.total - v.run));

    // the 257 inputs of one request, replayed without the loop around them
    const recorded: Float32Array[] = [];
    await ascend({ ...runner, run: (x, n, w) => (recorded.push(Float32Array.from(x)), runner.run(x, n, w)) }, spec);
    const replay: number[] = [];
    for (let i = 0; i < Math.ceil(reps / 2); i++) {
      const c0 = cpuNowMs();
      for (const x of recorded) await runner.run(x, batch, spec.weights);
      replay.push(cpuNowMs() - c0);
    }
    // and a constant input (uniform images make max-pool and ReLU masks predictable: faster)
    const x = new Float32Array(batch * runner.sampleSize).fill(0.5);
    const constant: number[] = [];
    for (let i = 0; i < Math.ceil(reps / 2); i++) {
      const c0 = cpuNowMs();
      for (let t = 0; t <= STEPS; t++) await runner.run(x, batch, spec.weights);
      constant.push(cpuNowMs() - c0);
    }
    const identity = await ort.InferenceSession.create(identityModel(['N', 28, 28]), { logSeverityLevel: 3 });
    const feeds = { x: new ort.Tensor('float32', x, [batch, 28, 28]) };
    for (let t = 0; t < 50; t++) await identity.run(feeds);
    const identityRuns: number[] = [];
    for (let i = 0; i < reps; i++) {
      const c0 = cpuNowMs();
      for (let t = 0; t <= STEPS; t++) await identity.run(feeds);
      identityRuns.push(cpuNowMs() - c0);
    }
    await identity.release();
    return { model, batch, requests, warmups: warm.length, otherThreadsPerRequestMs, inLoopRunMs, inLoopRestMs, replayMs: median(replay), constantMs: median(constant), identityMs: median(identityRuns), probability };
  } finally {
    await runner.release();
  }
}
