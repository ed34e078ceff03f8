/**
 * Admission of an uploaded model: every check runs before anything is stored, and each failure is a 4xx problem
 * that tells the model's author what to change.
 *   well-formed ONNX, no external data          400 invalid-model
 *   graph and weights within size limits         400 invalid-model
 *   a float image input in a recognized layout   422 unsupported-model
 *   every op on the gradient path supported      422 unsupported-model (the ops and nodes)
 *   labels match the number of classes          400 invalid-parameter
 *   the default request fits the CPU limit       422 unsupported-model (what it needs, the limit)
 *   one trial run of the compiled program        422 unsupported-model
 */
import { CompileError, ModelError, compileGradient, encodeProgram, programGraph, programMeta, type ProgramMeta } from '../compiler/index.js';
import { kernelPlan } from '../kernel/executor.js';
import { Unsupported } from '../kernel/planner.js';
import { concreteInput, pickInput } from '../compiler/compile.js';
import { DEFAULT_COMPILE_LIMITS } from '../compiler/limits.js';
import { withNormalization } from '../compiler/preprocess.js';
import { createRunner, runnerOutputs } from '../engine/runner.js';
import { OnnxFormatError, decodeModel, encodeModel, type OnnxModel } from '../onnx/model.js';
import { recognizeLayout } from '../registry/layout.js';
import { maximizeCpuMs, type CpuModel } from '../budget/cpu.js';
import type { Limits } from '../budget/limits.js';
import { DEFAULT_STEPS } from './maximize/defaults.js';
import type { Ort } from '../engine/ort-types.js';
import type { ModelInfo } from '../registry/types.js';
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

export async function admit(bytes: Uint8Array, d: UploadDescription, ort: Ort, budget: { cpu: CpuModel; limits: Limits }): Promise<Admitted> {
  const model = decode(bytes);
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
  const classes = program.classes;
  if (d.labels && d.labels.length !== classes) {
    throw new ApiProblem(400, PROBLEM.badParameter, `The model has ${classes} classes but ${d.labels.length} labels were given.`, { parameter: 'labels' });
  }

  // the default request (256 steps of one image) must fit: every model admitted answers its default URL
  const fixedBatch = typeof program.input.shape[0] === 'number' ? program.input.shape[0] : null;
  const need = maximizeCpuMs(budget.cpu, { forwardFlops: program.forwardFlops, fixedBatch, batch: 1, steps: DEFAULT_STEPS });
  if (need > budget.limits.cpuMs) {
    throw unsupported(`The model is too large for this deployment: its default request (${DEFAULT_STEPS} gradient steps of one image, about ${(program.forwardFlops / 1e6).toFixed(1)} MFLOP per forward pass${fixedBatch && fixedBatch > 1 ? `, run in batches of ${fixedBatch}` : ''}) would need about ${Math.round(need).toLocaleString('en-US')} ms of CPU time; a request may use ${budget.limits.cpuMs.toLocaleString('en-US')} ms here.`,
      { limit: { cpuMs: budget.limits.cpuMs }, requested: { cpuMs: Math.ceil(need) } });
  }

  // one trial run
  const meta = programMeta(program);
  const programBytes = encodeProgram(program, runnerOutputs(meta));
  try {
    const runner = await createRunner(ort, programBytes, meta);
    const batch = runner.fixedBatch ?? 1;
    const x = new Float32Array(batch * runner.sampleSize).fill((d.min + d.max) / 2);
    const w = new Float32Array(meta.units);
    w[0] = 1;
    const out = await runner.run(x, batch, w);
    await runner.release();
    if (![...out.logits, ...out.grad.subarray(0, 16)].every(Number.isFinite)) {
      throw unsupported('A trial run of the compiled model gave non-finite scores or gradients for a mid-gray image.');
    }
  } catch (e) {
    if (e instanceof ApiProblem) throw e;
    throw unsupported(`onnxruntime could not run the compiled model: ${(e as Error).message ?? e}.`);
  }

  // the engine: the kernel when it covers every op of the program, onnxruntime otherwise
  let engine: 'kernel' | 'onnxruntime' = 'kernel';
  try {
    kernelPlan(programGraph(program, runnerOutputs(meta)), meta);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    engine = 'onnxruntime';
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
