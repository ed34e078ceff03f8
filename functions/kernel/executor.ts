/**
 * The kernel executor: runs a compiled gradient program's whole ascent inside the WebAssembly kernel, one call
 * for all steps (or a few, when progress is reported). Pure: the host hands it a way to instantiate the kernel
 * module (functions/hosts/<host>/kernel.ts); each program gets its own instance and memory:
 *
 *   [kernel's own data] [weights] [plan] [tensors] [job: x, x0, g, optimizer state, trace, ...]
 *
 * The start (snap, projection), the jitter offsets (the same seeded sequence), Adam's bias corrections, the blur
 * taps and the end (quantization, final scores) come from functions/engine/, so the results are those of
 * `ascend` with this program's gradients.
 */
import * as abi from './abi.js';
import { planBatch, planProgram, type KernelPlan } from './plan.js';
import { Unsupported } from './planner.js';
import { project } from '../engine/constraints.js';
import { adamCorrections, optimizerEps, OPTIMIZERS } from '../engine/optimizers.js';
import { rng } from '../engine/prng.js';
import { quantize, snap } from '../engine/quantize.js';
import { blurKernel, penalty } from '../engine/regularizers.js';
import { sampleSize as sizeOf } from '../engine/image.js';
import { type StepOutput } from '../engine/runner.js';
import { softmaxRow } from '../engine/softmax.js';
import { levelsOf, type AscentResult, type AscentSpec, type Snapshot } from '../engine/ascent.js';
import { allZero, improved, type Stall } from '../engine/stall.js';
import type { ProgramMeta } from '../compiler/index.js';
import type { OnnxGraph } from '../onnx/model.js';

/** What the kernel module exports (functions/kernel/wasm/index.ts). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  run(plan: number, words: number): void;
  evaluate(job: number): void;
  ascend(job: number, from: number, to: number): void;
  gemm(m: number, k: number, n: number, a: number, b: number, y: number, reps: number): void;
  /** Y = X transposed: Y's elements in order over (d0, d1, d2, d3), X read at strides (s0, s1, s2, s3) */
  transpose(d0: number, d1: number, d2: number, d3: number, s0: number, s1: number, s2: number, s3: number, x: number, y: number): void;
}

export type InstantiateKernel = () => Promise<KernelExports>;

const TARGETS = { logit: abi.TARGET_LOGIT, logprob: abi.TARGET_LOGPROB, prob: abi.TARGET_PROB, tensor: abi.TARGET_TENSOR } as const;
const OPTIMIZER_CODES = Object.fromEntries(OPTIMIZERS.map((name) => [name, {
  adam: abi.OPT_ADAM, sgd: abi.OPT_SGD, normalized: abi.OPT_NORMALIZED, sign: abi.OPT_SIGN, rmsprop: abi.OPT_RMSPROP,
}[name]])) as Record<(typeof OPTIMIZERS)[number], number>;

const PAGE = 65536;
const align = (n: number) => Math.ceil(n / 64) * 64;

/** Throws Unsupported (plan.ts) when the kernel cannot run the program; otherwise returns its plan at batch 1. */
export function kernelPlan(graph: OnnxGraph, meta: ProgramMeta): KernelPlan {
  inputGradientOnly(meta);
  return planProgram(graph, meta, planBatch(meta, 1), 0);
}

function inputGradientOnly(meta: ProgramMeta): void {
  if (meta.wrt?.length) throw new Unsupported('the kernel returns the input gradient only, not gradients with respect to intermediate tensors');
}

/** Adam's bias corrections for steps 1..n, two per step (the same for every request: computed once, grown as needed). */
let corrections = new Float64Array(0);
function adamTable(n: number): Float64Array {
  if (corrections.length < 2 * n) {
    const table = new Float64Array(2 * n);
    for (let t = 1; t <= n; t++) [table[2 * t - 2], table[2 * t - 1]] = adamCorrections(t);
    corrections = table;
  }
  return corrections.subarray(0, 2 * n);
}

/** Memory for one request: the job block and its arrays, in bytes from `base`. */
class Layout {
  private at: number;
  constructor(base: number) {
    this.at = align(base);
  }
  take(bytes: number): number {
    const offset = this.at;
    this.at = align(this.at + Math.max(bytes, 1));
    return offset;
  }
  get end(): number {
    return this.at;
  }
}

export class KernelProgram {
  private readonly plans = new Map<number, KernelPlan>();
  private written = '';
  private current: KernelPlan | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  readonly sampleSize: number;
  readonly classes: number;

  private constructor(private readonly k: KernelExports, private readonly graph: OnnxGraph, readonly meta: ProgramMeta) {
    this.sampleSize = (meta.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    this.classes = meta.classes;
  }

  /** A program on a fresh kernel instance (throws Unsupported when the kernel does not cover it). */
  static async create(instantiate: InstantiateKernel, graph: OnnxGraph, meta: ProgramMeta): Promise<KernelProgram> {
    inputGradientOnly(meta);
    const k = await instantiate();
    // the plan at batch 1, where this instance's memory puts it (the one a default request uses)
    const batch = planBatch(meta, 1);
    const plan = planProgram(graph, meta, batch, k.heapBase());
    const program = new KernelProgram(k, graph, meta);
    program.plans.set(batch, plan);
    return program;
  }

  /** Bytes of the instance's memory (grown to the largest batch run; WebAssembly memory never shrinks). */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** Runs `work` with the program to itself (requests interleave at awaits; the memory holds one job). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(work, work);
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The plan for `n` samples, written into memory (weights once, the plan when it changes). */
  private use(n: number): KernelPlan {
    const batch = planBatch(this.meta, n);
    let plan = this.plans.get(batch);
    if (!plan) {
      plan = planProgram(this.graph, this.meta, batch, this.k.heapBase());
      this.plans.set(batch, plan);
    }
    if (this.current === plan) return plan;
    this.grow(plan.end);
    const signature = plan.constants.map((c) => `${c.key}@${c.offset}`).join('|');
    if (signature !== this.written) {
      for (const c of plan.constants) if ('data' in c) new Float32Array(this.k.memory.buffer, c.offset, c.data.length).set(c.data);
      for (const c of plan.constants) if ('from' in c) this.k.transpose(1, 1, c.cols, c.rows, 0, 0, 1, c.cols, c.from, c.offset);
      this.written = signature;
    }
    new Int32Array(this.k.memory.buffer, plan.codeOffset, plan.code.length).set(plan.code);
    this.current = plan;
    return plan;
  }

  private grow(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /**
   * Writes a job for `n` samples: the plan's tensors, the state arrays and the parameters. Returns the job and
   * the offsets of its arrays.
   */
  private job(n: number, steps: number, spec: Partial<AscentSpec> & { weights: Float32Array }) {
    const plan = this.use(n);
    const size = this.sampleSize;
    const L = new Layout(plan.end);
    const job = L.take(abi.JOB_BYTES);
    const f32 = (count: number) => L.take(count * 4);
    const a = {
      x: f32(n * size), x0: f32(n * size), g: f32(n * size), m: f32(n * size), v: f32(n * size), jittered: f32(n * size), tmp: f32(size),
      weights: f32(n * this.meta.units), logits: f32(n * this.classes), objective: f32(n), traceClass: f32(n),
      mask: L.take(size), shifts: L.take(spec.regularization?.jitter ? steps * n * 8 : 0), blur: f32(64),
      traceObjective: L.take(steps * n * 8), traceProbability: L.take(steps * n * 8), adam: L.take(steps * 16),
    };
    this.grow(L.end);
    const mem = this.k.memory.buffer;
    new Uint8Array(mem, job, abi.JOB_BYTES).fill(0);
    const w = new Int32Array(mem, job, abi.JOB_WORDS);
    const set = (field: number, value: number) => { w[field] = value; };
    set(abi.J_PLAN, plan.codeOffset);
    set(abi.J_PLAN_WORDS, plan.code.length);
    set(abi.J_BATCH, n);
    set(abi.J_SIZE, size);
    set(abi.J_CHUNK, plan.batch);
    set(abi.J_P_INPUT, plan.input);
    set(abi.J_P_WEIGHTS, plan.weights);
    set(abi.J_P_GRAD, plan.grad);
    set(abi.J_P_LOGITS, plan.logits);
    set(abi.J_P_OBJECTIVE, plan.objective);
    set(abi.J_CLASSES, this.classes);
    set(abi.J_TARGET, TARGETS[this.meta.target.kind]);
    set(abi.J_UNITS, this.meta.units);
    set(abi.J_X, a.x);
    set(abi.J_X0, a.x0);
    set(abi.J_G, a.g);
    set(abi.J_M, a.m);
    set(abi.J_V, a.v);
    set(abi.J_JITTERED, a.jittered);
    set(abi.J_TMP, a.tmp);
    set(abi.J_WEIGHTS, a.weights);
    set(abi.J_LOGITS, a.logits);
    set(abi.J_OBJECTIVE, a.objective);
    set(abi.J_TRACE_OBJECTIVE, a.traceObjective);
    set(abi.J_TRACE_PROBABILITY, a.traceProbability);
    set(abi.J_TRACE_CLASS, a.traceClass);
    set(abi.J_ADAM, a.adam);
    // objective weights: one row per sample
    const units = this.meta.units;
    const rows = new Float32Array(mem, a.weights, n * units);
    if (spec.weights.length === units) for (let s = 0; s < n; s++) rows.set(spec.weights, s * units);
    else rows.set(spec.weights.subarray(0, n * units));
    return { job, a, words: w };
  }

  private f32(offset: number, count: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, offset, count);
  }

  /** One evaluation of the gradient program for n samples (the GradientRunner contract; arrays are fresh). */
  evaluate(x: Float32Array, n: number, weights: Float32Array): StepOutput {
    const { job, a } = this.job(n, 0, { weights });
    this.f32(a.x, n * this.sampleSize).set(x.subarray(0, n * this.sampleSize));
    this.k.evaluate(job);
    return {
      grad: this.f32(a.g, n * this.sampleSize).slice(),
      objective: this.f32(a.objective, n).slice(),
      logits: this.f32(a.logits, n * this.classes).slice(),
      wrt: [],
    };
  }

  /** The whole ascent of `spec` (engine/ascent.ts's contract and results; pixel space only). */
  async ascend(spec: AscentSpec): Promise<AscentResult> {
    const { layout, batch: n, steps } = spec;
    if (spec.latent) throw new Error('the kernel searches pixels; a search through a prior runs on onnxruntime');
    const size = sizeOf(layout);
    if (size !== this.sampleSize) throw new Error(`layout holds ${size} values, the model input ${this.sampleSize}`);
    const r = spec.regularization;
    const x0 = Float32Array.from(spec.starts);
    for (let s = 0; s < n; s++) {
      snap(x0, spec.grid, s * size, size);
      project(spec.constraints, x0, x0, s * size, size);
    }
    const { job, a, words } = this.job(n, steps, spec);
    const { start, zeroAtStart } = this.chooseStarts(spec, job, a.x, a.g, x0, n, size);
    const mem = this.k.memory.buffer;
    const set = (field: number, value: number) => { words[field] = value; };
    this.f32(a.x, n * size).set(x0);
    this.f32(a.x0, n * size).set(x0);
    this.f32(a.m, n * size).fill(0);
    this.f32(a.v, n * size).fill(0);
    new Int32Array(mem, a.traceClass, n).set(Array.from({ length: n }, (_, s) => spec.traceClass[s] ?? -1));
    set(abi.J_OPTIMIZER, OPTIMIZER_CODES[spec.optimizer]);
    set(abi.J_HEIGHT, layout.height);
    set(abi.J_WIDTH, layout.width);
    set(abi.J_CHANNELS, layout.channels);
    set(abi.J_CHANNELS_LAST, layout.channelsLast ? 1 : 0);
    const c = spec.constraints;
    if (c.mask) {
      new Uint8Array(mem, a.mask, size).set(c.mask);
      set(abi.J_MASK, a.mask);
    }
    set(abi.J_NORM, c.norm === 'l2' ? abi.NORM_L2 : abi.NORM_LINF);
    const floats = new Float64Array(mem, job + abi.JOB_FLOATS, 16);
    floats[abi.F_LR] = spec.lr;
    floats[abi.F_MIN] = c.min;
    floats[abi.F_MAX] = c.max;
    floats[abi.F_EPS] = c.eps;
    floats[abi.F_OPT_EPS] = optimizerEps(spec.grid.max - spec.grid.min);
    floats[abi.F_L2] = r.l2;
    floats[abi.F_L1] = r.l1;
    floats[abi.F_TV] = r.tv;
    if (r.jitter > 0) {
      // the jitter offsets ascent.ts draws, in its order: per step, per sample, dy then dx
      const random = rng(spec.seed ^ 0x5eed);
      const shifts = new Int32Array(mem, a.shifts, steps * n * 2);
      for (let i = 0; i < steps * n * 2; i++) shifts[i] = random.int(-r.jitter, r.jitter);
      set(abi.J_SHIFTS, a.shifts);
    }
    if (r.blur > 0) {
      const taps = blurKernel(r.blur);
      if (taps.length > 64) throw new Error(`blur ${r.blur} needs ${taps.length} taps, the kernel takes 64`);
      this.f32(a.blur, taps.length).set(taps);
      set(abi.J_BLUR, a.blur);
      set(abi.J_BLUR_RADIUS, (taps.length - 1) / 2);
      set(abi.J_BLUR_EVERY, r.blurEvery);
    }
    new Float64Array(mem, a.adam, steps * 2).set(adamTable(steps));

    const trace: AscentResult['trace'] = {
      objective: Array.from({ length: n }, () => [] as number[]),
      probability: Array.from({ length: n }, () => [] as number[]),
    };
    // one call for all steps; with progress, about 64 calls; each snapshot step ends a call
    const wanted = new Set(spec.snapshots ?? []);
    const snapshots: Snapshot[] = [];
    if (wanted.has(0)) snapshots.push({ step: 0, levels: levelsOf(spec, x0, x0) });
    const chunk = Math.max(1, spec.onStep ? Math.floor(steps / 64) : steps);
    const stops = [...new Set([
      ...Array.from({ length: Math.ceil(steps / chunk) }, (_, i) => Math.min(steps, (i + 1) * chunk)),
      ...[...wanted].filter((t) => t > 0 && t < steps),
    ])].sort((p, q) => p - q);
    let from = 1;
    for (const to of stops) {
      this.k.ascend(job, from, to);
      const objective = new Float64Array(this.k.memory.buffer, a.traceObjective, steps * n);
      const probability = new Float64Array(this.k.memory.buffer, a.traceProbability, steps * n);
      for (let t = from; t <= to; t++) {
        for (let s = 0; s < n; s++) {
          trace.objective[s]!.push(objective[(t - 1) * n + s]!);
          trace.probability[s]!.push(probability[(t - 1) * n + s]!);
        }
      }
      if (to < steps && wanted.has(to)) snapshots.push({ step: to, levels: levelsOf(spec, this.f32(a.x, n * size), x0) });
      if (spec.onStep) for (let t = from; t <= to; t++) await spec.onStep(t, trace);
      from = to + 1;
    }

    // the end, as ascent.ts: quantize, then the scores of the quantized images
    const x = this.f32(a.x, n * size).slice();
    const levels = new Uint8Array(n * size);
    for (let s = 0; s < n; s++) levels.set(quantize(spec.grid, c, x, x0, s * size, size), s * size);
    set(abi.J_SHIFTS, 0);
    this.f32(a.x, n * size).set(x);
    this.k.evaluate(job);
    const logits = this.f32(a.logits, n * this.classes).slice();
    const final = this.f32(a.objective, n);
    const probabilities = new Float64Array(n * this.classes);
    const objective = new Float64Array(n);
    const score = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      probabilities.set(softmaxRow(logits, s, this.classes), s * this.classes);
      score[s] = final[s]!;
      objective[s] = final[s]! - penalty(r, layout, x, x0, s * size);
    }
    if (steps > 0 && wanted.has(steps)) snapshots.push({ step: steps, levels });
    // stall.ts's verdicts: the gradient at the start (above), and whether it is zero at the result, since when
    // the trace stood still
    const g = this.f32(a.g, n * size);
    const stall: Stall[] = Array.from({ length: n }, (_, s) => {
      const o = trace.objective[s]!;
      let from: number | null = null;
      if (zeroAtStart[s]) from = 1;
      else if (steps > 0 && allZero(g, s * size, size)) {
        let t = o.length;
        while (t > 1 && o[t - 2] === o[t - 1]) t--;
        from = t;
      }
      return { zeroGradientAtStart: zeroAtStart[s]!, zeroGradientFrom: from, improved: improved(o[0] ?? NaN, objective[s]!), start: start[s]! };
    });
    return {
      images: x, levels, starts: x0, objective, score, logits, probabilities, classes: this.classes, trace,
      ...(spec.snapshots ? { snapshots } : {}),
      stall,
    };
  }

  /**
   * ascent.ts's alternative starts: a sample whose gradient is exactly zero at its start moves on to its next
   * alternative (snapped and projected like the first) before the first step. Updates x0; returns per sample the
   * start used and whether its gradient is zero there.
   */
  private chooseStarts(spec: AscentSpec, job: number, ax: number, ag: number, x0: Float32Array, n: number, size: number): { start: number[]; zeroAtStart: boolean[] } {
    const start = Array<number>(n).fill(0);
    const zeroAtStart = Array<boolean>(n).fill(false);
    if (spec.steps === 0) return { start, zeroAtStart };
    const alternatives = spec.alternatives ?? [];
    for (let moved = true; moved;) {
      moved = false;
      this.f32(ax, n * size).set(x0);
      this.k.evaluate(job);
      const g = this.f32(ag, n * size);
      for (let s = 0; s < n; s++) {
        zeroAtStart[s] = allZero(g, s * size, size);
        const next = alternatives[start[s]!];
        if (!zeroAtStart[s] || !next) continue;
        start[s]!++;
        x0.set(next.subarray(s * size, (s + 1) * size), s * size);
        snap(x0, spec.grid, s * size, size);
        project(spec.constraints, x0, x0, s * size, size);
        moved = true;
      }
    }
    return { start, zeroAtStart };
  }
}
