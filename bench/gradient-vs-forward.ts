/**
 * Part 1, for the compiler: how much one run of the compiled gradient program costs against one run of the
 * original model, in Node with onnxruntime-web on one thread. Autodiff theory puts forward + backward at about
 * 3x the forward (the backward alone at most about 2x); much more points at a costly VJP rule.
 *
 * Also measured: one run of a one-node Identity model of the same input size, the fixed cost of a
 * `session.run` call (tensor wrapping, copies in and out of the wasm heap) that no graph can go below; and one
 * evaluation of the same program by Ascent's kernel (`KernelProgram.evaluate`, a call into WebAssembly that
 * copies the input in and the outputs out), or why the kernel does not run it: a model onnxruntime runs faster
 * than the kernel would be one to leave on onnxruntime.
 */
import { compileGradient, encodeProgram, programGraph, programMeta } from '../functions/compiler/index.js';
import { runnerOutputs } from '../functions/engine/runner.js';
import { KernelProgram } from '../functions/kernel/executor.js';
import { Unsupported } from '../functions/kernel/planner.js';
import { instantiateKernel } from '../functions/hosts/node/kernel.js';
import { loadOrt } from '../functions/hosts/node/ort.js';
import { decodeModel, encodeModel, type OnnxModel } from '../functions/onnx/model.js';
import type { Ort, OrtSession, OrtTensor } from '../functions/engine/ort-types.js';
import { builtinModel, corpusModels, BUILTIN_IDS, type BenchModel } from './models.js';
import { cpuNowMs, median } from './stats.js';

export interface GradientForwardRow {
  model: string;
  source: BenchModel['source'];
  batch: number;
  /** median CPU per run, microseconds */
  forwardUs: number;
  gradientUs: number;
  /** Identity model with the same input, same batch */
  identityUs: number;
  forwardNodes: number;
  gradientNodes: number;
  /** compiler's estimate of forward MFLOP per sample */
  mflop: number;
  /** median CPU per evaluation of the program by the kernel, microseconds (NaN: not covered, see kernelSkipped) */
  kernelUs: number;
  kernelSkipped?: string;
}

export interface GradientForwardResult {
  rows: GradientForwardRow[];
  failed: { model: string; reason: string }[];
}

const SESSION_OPTIONS = { logSeverityLevel: 3 as const, graphOptimizationLevel: 'all' as const };

/** A model with one Identity node from a float input of `shape` (first dimension symbolic) to its output. */
export function identityModel(shape: (number | string)[]): Uint8Array {
  const m: OnnxModel = {
    irVersion: 8,
    opsets: new Map([['', 17]]),
    producerName: 'ascent-bench',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: 'identity',
      nodes: [{ name: 'id', opType: 'Identity', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }],
      initializers: new Map(),
      inputs: [{ name: 'x', dtype: 'float32', shape }],
      outputs: [{ name: 'y', dtype: 'float32', shape }],
      valueInfo: [],
    },
  };
  return encodeModel(m);
}

/** Median CPU microseconds per call of each function, sampled alternately so load changes hit all alike. */
async function compareRuns(fns: (() => Promise<unknown>)[], samples: number, warmupMs: number): Promise<number[]> {
  const until = performance.now() + warmupMs;
  for (let i = 0; i < 20 || performance.now() < until; i++) for (const f of fns) await f();
  // calibrate: each sample runs a function k times, about 3 ms of work
  const once = [];
  for (const f of fns) {
    const c0 = cpuNowMs();
    for (let i = 0; i < 5; i++) await f();
    once.push((cpuNowMs() - c0) / 5);
  }
  const ks = once.map((t) => Math.max(1, Math.min(500, Math.ceil(3 / Math.max(t, 1e-3)))));
  const per: number[][] = fns.map(() => []);
  for (let s = 0; s < samples; s++) {
    for (let j = 0; j < fns.length; j++) {
      const f = fns[j]!;
      const k = ks[j]!;
      const c0 = cpuNowMs();
      for (let i = 0; i < k; i++) await f();
      per[j]!.push(((cpuNowMs() - c0) / k) * 1000);
    }
  }
  return per.map(median);
}

function randomInput(n: number, min: number, max: number): Float32Array {
  // a fixed pseudo-random image in the model's range (xorshift; the values only need to be plausible)
  let s = 0x9e3779b9;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    x[i] = min + ((s >>> 0) / 2 ** 32) * (max - min);
  }
  return x;
}

async function benchModel(ort: Ort, m: BenchModel, samples: number, warmupMs = 300): Promise<GradientForwardRow[]> {
  const program = compileGradient(m.bytes, { ...(m.input ? { input: m.input } : {}), ...(m.output ? { output: m.output } : {}) });
  const original = await ort.InferenceSession.create(m.bytes, SESSION_OPTIONS);
  const gradient = await ort.InferenceSession.create(encodeProgram(program), SESSION_OPTIONS);
  const dims = program.input.shape;
  const sampleDims = dims.slice(1) as number[];
  const size = sampleDims.reduce((a, b) => a * b, 1);
  const identity = await ort.InferenceSession.create(identityModel(['N', ...sampleDims]), SESSION_OPTIONS);
  const batches = typeof dims[0] === 'number' ? [dims[0]] : [1, 16];
  const w = new Float32Array(program.units);
  w[0] = 1;
  const weights = new ort.Tensor('float32', w, [1, program.units]);
  const forwardNodes = decodeModel(m.bytes).graph.nodes.length;
  const meta = programMeta(program);
  let kernel: KernelProgram | undefined;
  let kernelSkipped: string | undefined;
  try {
    kernel = await KernelProgram.create(instantiateKernel, programGraph(program, runnerOutputs(meta)), meta);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    kernelSkipped = e.message;
  }
  const rows: GradientForwardRow[] = [];
  try {
    for (const batch of batches) {
      const x = new ort.Tensor('float32', randomInput(batch * size, m.min, m.max), [batch, ...sampleDims]);
      const run = (s: OrtSession, feeds: Record<string, OrtTensor>) => () => s.run(feeds);
      const xs = x.data as Float32Array;
      const k = kernel;
      const [forwardUs, gradientUs, identityUs, kernelUs] = await compareRuns([
        run(original, { [program.input.name]: x }),
        run(gradient, { [program.input.name]: x, [program.weights]: weights }),
        run(identity, { x }),
        ...(k ? [async () => k.evaluate(xs, batch, w)] : []),
      ], samples, warmupMs);
      rows.push({
        model: m.id,
        source: m.source,
        batch,
        forwardUs: forwardUs!,
        gradientUs: gradientUs!,
        identityUs: identityUs!,
        forwardNodes,
        gradientNodes: program.model.graph.nodes.length,
        mflop: program.forwardFlops / 1e6,
        kernelUs: kernelUs ?? NaN,
        ...(kernelSkipped ? { kernelSkipped } : {}),
      });
    }
  } finally {
    await Promise.all([original.release(), gradient.release(), identity.release()]);
  }
  return rows;
}

export async function gradientVsForward(opts: { quick: boolean; log: (s: string) => void }): Promise<GradientForwardResult> {
  const ort = await loadOrt();
  const models = [...BUILTIN_IDS.map(builtinModel), ...corpusModels()];
  if (models.length === BUILTIN_IDS.length) opts.log('gradient-vs-forward: the ONNX corpus is absent (../shared/onnx-corpus), only the built-in models are measured');
  const result: GradientForwardResult = { rows: [], failed: [] };
  // a throw-away round first: until V8 has optimized onnxruntime's JavaScript and WebAssembly (a few thousand
  // runs), the first model measured would look several times slower than the others
  await benchModel(ort, models[0]!, 2, 2500);
  for (const m of models) {
    opts.log(`gradient-vs-forward: ${m.id}`);
    try {
      result.rows.push(...(await benchModel(ort, m, opts.quick ? 5 : 15)));
    } catch (e) {
      result.failed.push({ model: m.id, reason: (e as Error).message.split('\n')[0]!.slice(0, 160) });
    }
  }
  return result;
}
