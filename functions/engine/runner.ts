/**
 * Runs a compiled gradient program with onnxruntime: one `session.run` gives, for a batch of inputs, the
 * model's logits, the objective and its gradient. Models exported with a fixed batch size (1, 10, ...) are run
 * in chunks of that size, padded with zero rows whose objective weights are zero.
 */
import type { ProgramMeta } from '../compiler/index.js';
import type { TargetKind } from '../compiler/target.js';
import { logSumExp } from './softmax.js';
import type { Ort } from './ort-types.js';
import { batchShape, openSession, serialQueue } from './session.js';

export interface StepOutput {
  /** d objective / d x, same layout as x (empty for a runner made without the input gradient) */
  grad: Float32Array;
  /** per sample */
  objective: Float32Array;
  /** [n, classes] */
  logits: Float32Array;
  /** for each intermediate tensor of the program (meta.wrt): its value and d objective / d tensor, n samples each */
  wrt: { value: Float32Array; grad: Float32Array }[];
}

export interface RunnerOptions {
  /** fetch d objective / d x (default true); false when only the intermediate tensors' gradients are wanted */
  inputGradient?: boolean;
}

export interface GradientRunner {
  /** what the program computes (input, outputs, units, cost) */
  meta: ProgramMeta;
  /** elements per sample */
  sampleSize: number;
  /** number of classes in the logits */
  classes: number;
  /** fixed batch size of the model, or null when the batch is dynamic */
  fixedBatch: number | null;
  /**
   * x: n samples; weights: n rows of `units` or a single row shared by all samples. The arrays returned are
   * fresh: the caller may modify them.
   */
  run(x: Float32Array, n: number, weights: Float32Array): Promise<StepOutput>;
  /**
   * Runs `work` with the runner to itself. Concurrent requests of an isolate interleave at every await; queueing
   * whole computations keeps one onnxruntime session from ever running two calls at once, and keeps a request's
   * steps together.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** frees the onnxruntime session */
  release(): Promise<void>;
}

/** When the target is a function of the logits, the runner computes the objective from them (objectiveOf). */
const objectiveFromLogits = (p: ProgramMeta) => p.target.kind !== 'tensor' && p.units === p.classes;

/**
 * The program outputs a runner fetches: the gradient, the logits, for a tensor target the objective, and the
 * intermediate tensors with their gradients. Not the model's own output (e.g. probabilities). Programs encoded with
 * only these (encodeProgram(p, runnerOutputs(meta))) skip the nodes of the others.
 */
export function runnerOutputs(p: ProgramMeta, options: RunnerOptions = {}): string[] {
  return [...new Set([
    ...(options.inputGradient === false ? [] : [p.outputs.grad]),
    p.outputs.logits,
    ...(objectiveFromLogits(p) ? [] : [p.outputs.objective]),
    ...(p.wrt ?? []).flatMap((t) => [t.tensor, t.grad]),
  ])];
}

/** A runner for a program given as ONNX bytes (encodeProgram(p, runnerOutputs(meta, options))) and its metadata (programMeta). */
export async function createRunner(ort: Ort, bytes: Uint8Array, program: ProgramMeta, options: RunnerOptions = {}): Promise<GradientRunner> {
  const session = await openSession(ort, bytes);
  const { sampleDims, sampleSize, fixedBatch } = batchShape(program);
  const classes = program.classes;
  const units = program.units;

  const fromLogits = objectiveFromLogits(program);
  const fetches = runnerOutputs(program, options);
  const inputGradient = options.inputGradient !== false;
  const wrt = program.wrt ?? [];

  async function runBatch(x: Float32Array, n: number, weights: Float32Array, wRows: number): Promise<StepOutput> {
    const out = await session.run({
      [program.input.name]: new ort.Tensor('float32', x, [n, ...sampleDims]),
      [program.weights]: new ort.Tensor('float32', weights, [wRows, units]),
    }, fetches);
    const logits = out[program.outputs.logits]!.data as Float32Array;
    return {
      grad: inputGradient ? out[program.outputs.grad]!.data as Float32Array : new Float32Array(0),
      objective: fromLogits ? objectiveOf(program.target.kind as TargetKind, logits, n, classes, weights, wRows) : out[program.outputs.objective]!.data as Float32Array,
      logits,
      wrt: wrt.map((t) => ({ value: out[t.tensor]!.data as Float32Array, grad: out[t.grad]!.data as Float32Array })),
    };
  }

  return {
    exclusive: serialQueue(),
    meta: program,
    sampleSize,
    classes,
    fixedBatch,
    release: () => session.release(),
    async run(x, n, weights) {
      const shared = weights.length === units;
      if (fixedBatch === null || fixedBatch === n) {
        return runBatch(x, n, weights, shared ? 1 : n);
      }
      // fixed batch: chunks of `fixedBatch`, the last one padded
      const grad = new Float32Array(inputGradient ? n * sampleSize : 0);
      const objective = new Float32Array(n);
      const logits = new Float32Array(n * classes);
      let tensors: StepOutput['wrt'] = [];
      for (let start = 0; start < n; start += fixedBatch) {
        const count = Math.min(fixedBatch, n - start);
        const xb = new Float32Array(fixedBatch * sampleSize);
        xb.set(x.subarray(start * sampleSize, (start + count) * sampleSize));
        const wb = new Float32Array(fixedBatch * units);
        for (let i = 0; i < count; i++) wb.set(shared ? weights : weights.subarray((start + i) * units, (start + i + 1) * units), i * units);
        const r = await runBatch(xb, fixedBatch, wb, fixedBatch);
        if (inputGradient) grad.set(r.grad.subarray(0, count * sampleSize), start * sampleSize);
        objective.set(r.objective.subarray(0, count), start);
        logits.set(r.logits.subarray(0, count * classes), start * classes);
        if (start === 0) tensors = r.wrt.map((t) => ({ value: new Float32Array((t.value.length / fixedBatch) * n), grad: new Float32Array((t.grad.length / fixedBatch) * n) }));
        r.wrt.forEach((t, i) => {
          const per = t.value.length / fixedBatch;
          tensors[i]!.value.set(t.value.subarray(0, count * per), start * per);
          tensors[i]!.grad.set(t.grad.subarray(0, count * per), start * per);
        });
      }
      return { grad, objective, logits, wrt: tensors };
    },
  };
}

/** objective[n] = sum_c w[n|0, c] t[n, c], t = logits, log-softmax or softmax of the logits (as the program computes it). */
export function objectiveOf(kind: TargetKind, logits: Float32Array, n: number, classes: number, w: Float32Array, wRows: number): Float32Array {
  const objective = new Float32Array(n);
  for (let s = 0; s < n; s++) {
    const o = s * classes;
    const wo = wRows === 1 ? 0 : o;
    const shift = kind === 'logit' ? 0 : logSumExp(logits, o, classes);
    let acc = 0;
    for (let c = 0; c < classes; c++) {
      const z = logits[o + c]!;
      const t = kind === 'logit' ? z : kind === 'logprob' ? z - shift : Math.exp(z - shift);
      acc += w[wo + c]! * t;
    }
    objective[s] = acc;
  }
  return objective;
}
