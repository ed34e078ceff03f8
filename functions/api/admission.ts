/**
 * Admission of an uploaded model: every check runs before anything is stored, and each failure is a 4xx problem
 * that tells the model's author what to change.
 *   well-formed ONNX, no external data          400 invalid-model
 *   graph and weights within size limits         400 invalid-model
 *   a float image input in a recognized layout   422 unsupported-model
 *   every op on the gradient path supported      422 unsupported-model (the ops and nodes)
 *   labels match the number of classes          400 invalid-parameter
 *   the default request fits the CPU limit       422 unsupported-model (what it needs, the limit), counting the
 *     program's nodes on its engine and opening an onnxruntime session, before either is done
 *   admitting fits the memory limit              422 unsupported-model (what it needs, the limit)
 *   one trial run of the compiled program        422 unsupported-model (on the engine that will run it)
 *   all of it within the deadline                422 unsupported-model (the deadline, the phase, the time taken)
 */
import { CompileError, ModelError, compileGradient, encodeProgram, programGraph, programMeta, type ProgramMeta } from '../compiler/index.js';
import { KernelProgram, kernelPlan, type InstantiateKernel } from '../kernel/executor.js';
import { Unsupported } from '../kernel/planner.js';
import { concreteInput, pickInput } from '../compiler/compile.js';
import { DEFAULT_COMPILE_LIMITS } from '../compiler/limits.js';
import { withNormalization } from '../compiler/preprocess.js';
import { createRunner, runnerOutputs } from '../engine/runner.js';
import { OnnxFormatError, decodeModel, encodeModel, type OnnxModel } from '../onnx/model.js';
import { recognizeLayout } from '../registry/layout.js';
import { maximizeCpuMs, type CpuModels } from '../budget/cpu.js';
import type { Limits } from '../budget/limits.js';
import { runBytes } from '../budget/memory.js';
import { sessionCpuMs, withNodes } from '../budget/nodes.js';
import { DEFAULT_STEPS } from './maximize/defaults.js';
import type { Ort } from '../engine/ort-types.js';
import type { EngineName, ModelInfo } from '../registry/types.js';
import type { UploadDescription } from './params/upload.js';
import { sha256Hex } from './hash.js';
import { ApiProblem, PROBLEM } from './problem.js';

/** The compiler's limit: every node costs time on every step of every request, whatever its arithmetic. */
export const MAX_NODES = DEFAULT_COMPILE_LIMITS.maxNodes;
export const MAX_WEIGHTS = 16 * 1024 * 1024;

export interface Admitted {
  /** everything but the id */
  info: Omit<ModelInfo, 'id'>;
  /** the graph to store: the upload with its normalization prepended */
  graph: Uint8Array;
  /** the compiled logit program, already checked by a trial run */
  program: { bytes: Uint8Array; meta: ProgramMeta };
}

const invalid = (detail: string) => new ApiProblem(400, PROBLEM.badModel, detail);
const unsupported = (detail: string, extra = {}) => new ApiProblem(422, PROBLEM.unsupportedModel, detail, extra);

function decode(bytes: Uint8Array): OnnxModel {
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw invalid(`The file is not a usable ONNX model: ${e.message}.`);
    throw invalid('The file is not a usable ONNX model: it could not be decoded.');
  }
}

/** What admission is checked against: the deployment's CPU model and limits, and its kernel (absent: onnxruntime only). */
export interface AdmissionBudget {
  cpu: CpuModels;
  limits: Limits;
  instantiateKernel?: InstantiateKernel;
  /** the admission's deadline in ms (default: twice the CPU limit, see `deadline`) */
  deadlineMs?: number;
  /** milliseconds from some origin (default performance.now) */
  clock?: () => number;
}

/**
 * The admission's deadline, checked between its phases: a phase that ran past it ends the admission with a 422
 * naming the deadline. A phase is not interrupted: decoding and compiling are bounded by the node and size limits
 * checked on the file, and opening an onnxruntime session (which cannot be interrupted) by its estimate from the
 * program's nodes (sessionCpuMs), checked before it is opened. Deployed Workers' clocks advance only at I/O, so
 * there the check sees less than the CPU spent and the platform's limits.cpu_ms stays the hard stop.
 */
function deadline(budget: AdmissionBudget): (phase: string) => void {
  const clock = budget.clock ?? (() => performance.now());
  // wall time, not CPU time: twice the CPU limit leaves room for a machine busy with other requests, and keeps an
  // upload's answer within 10 s at the default 5,000 ms
  const ms = budget.deadlineMs ?? 2 * budget.limits.cpuMs;
  const start = clock();
  return (phase) => {
    const elapsed = clock() - start;
    if (elapsed <= ms) return;
    const n = (v: number) => Math.round(v).toLocaleString('en-US');
    throw unsupported(`The model is too slow for this deployment: admitting it had taken ${n(elapsed)} ms by the end of ${phase}, over the upload deadline of ${n(ms)} ms (its size estimates fit; its graph is slower to process than they predict).`,
      { limit: { deadlineMs: ms }, elapsedMs: Math.ceil(elapsed), phase });
  };
}

export async function admit(bytes: Uint8Array, d: UploadDescription, ort: Ort, budget: AdmissionBudget): Promise<Admitted> {
  const inTime = deadline(budget);
  const model = decode(bytes);
  inTime('reading the file');
  const g = model.graph;
  if (g.nodes.length > MAX_NODES) throw invalid(`The graph has ${g.nodes.length.toLocaleString('en-US')} nodes; at most ${MAX_NODES.toLocaleString('en-US')} are accepted.`);
  let weights = 0;
  let parameters = 0;
  for (const t of g.initializers.values()) {
    weights += t.data.length;
    if (t.dtype === 'float32') parameters += t.data.length;
  }
  if (weights > MAX_WEIGHTS) throw invalid(`The model holds ${weights} weight values; at most ${MAX_WEIGHTS} are accepted.`);
  if (!(d.max > d.min)) throw new ApiProblem(400, PROBLEM.badParameter, `The pixel range needs min < max (got min=${d.min}, max=${d.max}).`, { parameter: 'max' });

  // the image input and its layout
  let input;
  try {
    input = concreteInput(pickInput(model, d.input));
  } catch (e) {
    if (e instanceof ModelError) throw unsupported(`${e.message}.`);
    throw e;
  }
  const recognized = recognizeLayout(input.shape!);
  if (!recognized.ok) throw unsupported(`Input "${input.name}": ${recognized.reason}.`, { parameter: 'input' });
  const { layout } = recognized.value;

  // normalization inside the graph
  const mean = d.mean === undefined ? undefined : Array.isArray(d.mean) ? d.mean : [d.mean];
  const std = d.std === undefined ? undefined : Array.isArray(d.std) ? d.std : [d.std];
  if ((mean === undefined) !== (std === undefined)) {
    throw new ApiProblem(400, PROBLEM.badParameter, 'Give both mean and std (x_model = (pixel - mean) / std), or neither.', { parameter: mean ? 'std' : 'mean' });
  }
  for (const [name, v] of [['mean', mean], ['std', std]] as const) {
    if (v && v.length !== 1 && v.length !== layout.channels) {
      throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${name}" needs one value or ${layout.channels} (one per channel), got ${v.length}.`, { parameter: name });
    }
  }
  if (std?.some((s) => s === 0 || !Number.isFinite(s))) throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "std" must be finite and non-zero.', { parameter: 'std' });
  const rank = input.shape!.length;
  const normalized = mean && std
    ? withNormalization(model, input.name, { mean, std, rank, channelAxis: layout.channelsLast ? rank - 1 : recognized.value.name === 'CHW' ? 1 : rank - 1 })
    : model;
  const graph = mean && std ? encodeModel(normalized) : bytes;

  // the gradient program
  let program;
  try {
    program = compileGradient(normalized, { target: 'logit', input: input.name, ...(d.output ? { output: d.output } : {}) });
  } catch (e) {
    if (e instanceof CompileError) {
      throw unsupported(`Ascent cannot differentiate this model: ${e.message}.`, { problems: e.problems });
    }
    if (e instanceof ModelError || e instanceof OnnxFormatError) throw unsupported(`Ascent cannot use this model: ${e.message}.`);
    throw e;
  }
  inTime('compiling its gradient program');
  const classes = program.classes;
  if (d.labels && d.labels.length !== classes) {
    throw new ApiProblem(400, PROBLEM.badParameter, `The model has ${classes} classes but ${d.labels.length} labels were given.`, { parameter: 'labels' });
  }

  // the engine: the kernel when it covers every op of the program, onnxruntime otherwise
  const meta = programMeta(program);
  const outputs = runnerOutputs(meta);
  const graphOfProgram = programGraph(program, outputs);
  let engine: EngineName = 'kernel';
  try {
    kernelPlan(graphOfProgram, meta);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    engine = 'onnxruntime';
  }
  inTime('planning the program on the kernel');
  // the trial runs on that engine; onnxruntime first opens a session, whose time grows with the program's nodes
  const onKernel = engine === 'kernel' && budget.instantiateKernel !== undefined;
  const sessionMs = onKernel ? 0 : sessionCpuMs(meta.nodes);

  // the default request (256 steps of one image) must fit: every model admitted answers its default URL
  const fixedBatch = typeof program.input.shape[0] === 'number' ? program.input.shape[0] : null;
  const batch = fixedBatch ?? 1;
  const need = maximizeCpuMs(withNodes(budget.cpu, meta.nodes, engine), { forwardFlops: program.forwardFlops, fixedBatch, batch: 1, steps: DEFAULT_STEPS })
    + (engine === 'onnxruntime' ? sessionCpuMs(meta.nodes) : 0);
  if (need > budget.limits.cpuMs || sessionMs > budget.limits.cpuMs) {
    const cost = Math.max(need, sessionMs);
    throw unsupported(`The model is too large for this deployment: its default request (${DEFAULT_STEPS} gradient steps of one image, about ${(program.forwardFlops / 1e6).toFixed(1)} MFLOP per forward pass${fixedBatch && fixedBatch > 1 ? `, run in batches of ${fixedBatch}` : ''}, a gradient program of ${meta.nodes.toLocaleString('en-US')} nodes on ${engine}) would need about ${Math.round(cost).toLocaleString('en-US')} ms of CPU time; a request may use ${budget.limits.cpuMs.toLocaleString('en-US')} ms here.`,
      { limit: { cpuMs: budget.limits.cpuMs }, requested: { cpuMs: Math.ceil(cost) } });
  }
  // admitting holds the file, the decoded model, the program and its encoding (copies of the weights) and one run
  const memoryBytes = bytes.length + 4 * meta.memory.weightBytes + runBytes(meta.memory, batch);
  if (memoryBytes > budget.limits.memoryBytes) {
    const mib = (v: number) => (v / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 });
    throw unsupported(`The model is too large for this deployment: admitting it (its ${mib(meta.memory.weightBytes)} MiB of weights and one run of its gradient program) would need up to ${mib(memoryBytes)} MiB of memory; a request may use ${mib(budget.limits.memoryBytes)} MiB here.`,
      { limit: { memoryBytes: budget.limits.memoryBytes }, requested: { memoryBytes: Math.ceil(memoryBytes) } });
  }

  // one trial run, on the engine that will run the model
  const programBytes = encodeProgram(program, outputs);
  try {
    const x = new Float32Array(batch * (program.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)).fill((d.min + d.max) / 2);
    const w = new Float32Array(meta.units);
    w[0] = 1;
    let out;
    if (onKernel) {
      const kernel = await KernelProgram.create(budget.instantiateKernel!, graphOfProgram, meta);
      inTime('preparing the kernel');
      out = kernel.evaluate(x, batch, w);
    } else {
      const runner = await createRunner(ort, programBytes, meta);
      try {
        inTime('opening an onnxruntime session');
        out = await runner.run(x, batch, w);
      } finally {
        await runner.release();
      }
    }
    inTime('the trial run');
    if (![...out.logits, ...out.grad.subarray(0, 16)].every(Number.isFinite)) {
      throw unsupported('A trial run of the compiled model gave non-finite scores or gradients for a mid-gray image.');
    }
  } catch (e) {
    if (e instanceof ApiProblem) throw e;
    throw unsupported(`${onKernel ? 'The kernel' : 'onnxruntime'} could not run the compiled model: ${(e as Error).message ?? e}.`);
  }

  return {
    info: {
      title: d.title ?? `Uploaded model (${model.producerName || 'ONNX'})`,
      labels: d.labels ?? Array.from({ length: classes }, (_, i) => String(i)),
      input: { name: input.name, shape: recognized.value.imageShape, min: d.min, max: d.max, layout },
      output: { name: program.outputs.model, kind: program.outputKind },
      accuracy: null,
      sha256: await sha256Hex(bytes),
      parameters,
      source: 'upload',
      engine,
      recognized: {
        layout: recognized.value.name,
        batch: recognized.value.batch ?? 'dynamic',
        inputShape: input.shape!,
        producer: `${model.producerName} ${model.producerVersion}`.trim(),
        opset: model.opsets.get('') ?? 1,
        ops: program.opTypes,
      },
      preprocessing: mean && std ? { mean, std } : null,
    },
    graph,
    program: { bytes: programBytes, meta },
  };
}
