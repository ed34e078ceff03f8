/**
 * compileGradient: an ONNX classifier in, an ONNX "gradient program" out. The program takes the model's input
 * and `objective_weights` and returns, in one onnxruntime run, the model's output, its logits, the objective
 * sum_c w[c] t[c] per sample and `grad`, the exact gradient of the objective with respect to the input; and, when
 * asked (`wrt`), named intermediate tensors with the gradient of the objective with respect to each.
 *
 *   decode -> pick input/output -> legalize + infer (pass 1) -> target -> rewrites that cheapen the backward pass
 *   -> objective -> differentiate (pass 2)
 *   -> prune to the outputs -> encode at opset 17
 */
import { GraphBuilder } from '../onnx/builder.js';
import { A, decodeModel, encodeModel, type OnnxGraph, type OnnxModel, type OnnxNode, type ValueInfo } from '../onnx/model.js';
import { ModelError } from './errors.js';
import { differentiate } from './differentiate.js';
import { forwardFlops } from './cost.js';
import { legalizeAndInfer } from './infer.js';
import { withPrior, type PriorComposition } from './prior.js';
import { rewriteForBackward } from './rewrite.js';
import { buildTarget, findHead, withBatchAxis, type OutputKind, type Target } from './target.js';
import type { Dim } from './shapes.js';
import type { ForwardMemory, WorkGraph } from './graph.js';
import type { CompileLimits } from './limits.js';
import type { Tensor } from '../onnx/tensor.js';

export const TARGET_OPSET = 17;
export const NAMES = { weights: 'objective_weights', objective: 'objective', grad: 'grad' } as const;

export interface CompileOptions {
  /** 'logit' (default), 'logprob', 'prob' or the name of an intermediate tensor */
  target?: string;
  /** the graph input to differentiate (default: the only float input) */
  input?: string;
  /** the graph output holding the class scores (default: the only float output) */
  output?: string;
  /**
   * Differentiate through a learned image prior: the program's input becomes the generator's code z and the
   * gradient is d objective / d z of the composition (see prior.ts). `min`/`max`: the model's pixel range.
   */
  prior?: { generator: OnnxModel | Uint8Array } & PriorComposition;
  /**
   * Intermediate tensors to differentiate the objective with respect to, besides the input: the program also
   * outputs each of them and its gradient (Grad-CAM reads a feature map and the gradient on it).
   */
  wrt?: string[];
  /** tensor sizes accepted (default DEFAULT_COMPILE_LIMITS) */
  limits?: CompileLimits;
}

/** An intermediate tensor the program differentiates with respect to: its name (also the output holding its value) and the output holding its gradient. */
export interface WrtOutput {
  tensor: string;
  grad: string;
  /** null: rank unknown */
  shape: Dim[] | null;
}

/** Everything about a compiled program except the graph itself: serializable, stored beside its ONNX bytes. */
export interface ProgramMeta {
  input: { name: string; shape: Dim[] };
  /** names of the program's outputs */
  outputs: { model: string; logits: string; objective: string; grad: string };
  /** name of the weights input, shape [1 | N, units] */
  weights: string;
  /** number of units the objective weights address (classes for logit/logprob/prob) */
  units: number;
  /** number of classes (width of the logits) */
  classes: number;
  /** what the model's own output holds */
  outputKind: OutputKind;
  target: Target;
  /** ops of the source model, by type, for reports */
  opTypes: Record<string, number>;
  /** estimated FLOPs of one forward pass for one sample (see cost.ts); a gradient step is about 3x */
  forwardFlops: number;
  /** the intermediate tensors differentiated with respect to (CompileOptions.wrt); absent or empty: none */
  wrt?: WrtOutput[];
  /** bytes of the forward pass's weights and tensors (in all, and per sample), known at compile time */
  memory: ForwardMemory;
  /** nodes of the gradient program: onnxruntime's cost per run grows with them, whatever their FLOPs */
  nodes: number;
}

export interface GradientProgram extends ProgramMeta {
  /** the gradient graph */
  model: OnnxModel;
}

const names = (vs: readonly ValueInfo[]) => vs.map((v) => `"${v.name}"`).join(', ');

/** The graph input or output called `name`, or a ModelError listing those there are. */
function named(vs: readonly ValueInfo[], name: string, what: 'input' | 'output'): ValueInfo {
  const v = vs.find((x) => x.name === name);
  if (!v) throw new ModelError(`the model has no ${what} "${name}" (${what}s: ${names(vs)})`);
  return v;
}

export function pickInput(m: OnnxModel, name: string | undefined): ValueInfo {
  const inputs = m.graph.inputs;
  if (name !== undefined) return named(inputs, name, 'input');
  const floats = inputs.filter((i) => i.dtype === 'float32');
  if (floats.length === 1) return floats[0]!;
  if (floats.length === 0) {
    const only = inputs[0];
    if (only) {
      throw new ModelError(`input "${only.name}" has type ${only.dtype}: there is no gradient with respect to an integer input. Re-export the model with a float32 input (move the Cast into your preprocessing)`);
    }
    throw new ModelError('the model has no inputs');
  }
  throw new ModelError(`the model has several float inputs (${names(floats)}); say which one is the image`);
}

export function pickOutput(m: OnnxModel, name: string | undefined): ValueInfo {
  const outputs = m.graph.outputs;
  if (name !== undefined) return named(outputs, name, 'output');
  const floats = outputs.filter((o) => o.dtype === 'float32' || o.dtype === 'undefined');
  if (floats.length === 1) return floats[0]!;
  const matrices = floats.filter((o) => o.shape?.length === 2);
  if (matrices.length === 1) return matrices[0]!;
  if (floats.length === 0) throw new ModelError('the model has no float output to maximize');
  throw new ModelError(`the model has several float outputs (${names(floats)}); say which one holds the class scores`);
}

/** Gives the input's unknown batch dimension a name, and refuses other unknown dimensions. */
export function concreteInput(v: ValueInfo): ValueInfo {
  if (!v.shape) throw new ModelError(`input "${v.name}" has no declared shape; Ascent needs to know the image size`);
  const shape = v.shape.map((d, i) => {
    if (d !== null) return d;
    if (i === 0) return 'N';
    throw new ModelError(`dimension ${i} of input "${v.name}" is unknown; Ascent needs a fixed image size`);
  });
  shape.slice(1).forEach((d, i) => {
    if (typeof d !== 'number') throw new ModelError(`dimension ${i + 1} of input "${v.name}" is symbolic ("${d}"); Ascent needs a fixed image size`);
  });
  return { ...v, shape };
}

/** Renames internal tensors that collide with the program's reserved names. */
function freeReservedNames(m: OnnxModel): OnnxModel {
  const reserved = new Set<string>(Object.values(NAMES));
  for (const v of [...m.graph.inputs, ...m.graph.outputs]) {
    if (reserved.has(v.name)) throw new ModelError(`the model's graph input/output "${v.name}" uses a name Ascent reserves; rename it`);
  }
  const used = new Set<string>();
  for (const n of m.graph.nodes) for (const t of [...n.inputs, ...n.outputs]) used.add(t);
  for (const k of m.graph.initializers.keys()) used.add(k);
  const clash = [...reserved].filter((r) => used.has(r));
  if (clash.length === 0) return m;
  const rename = (t: string) => (reserved.has(t) ? `${t}__model` : t);
  const nodes: OnnxNode[] = m.graph.nodes.map((n) => ({ ...n, inputs: n.inputs.map(rename), outputs: n.outputs.map(rename) }));
  const initializers = new Map([...m.graph.initializers].map(([k, v]) => [rename(k), v]));
  return { ...m, graph: { ...m.graph, nodes, initializers } };
}

/**
 * Pass 1 on its own: the legalized, shape-inferred working graph of a model (composed with its prior when asked)
 * and the name builder that extends it, for compileGradient and for questions about a model's tensors (layers.ts).
 */
export function analyze(source: OnnxModel | Uint8Array, options: Pick<CompileOptions, 'input' | 'output' | 'prior' | 'limits'> = {}): { w: WorkGraph; b: GraphBuilder; model: OnnxModel } {
  let model = freeReservedNames(source instanceof Uint8Array ? decodeModel(source) : source);
  let inputName = options.input;
  if (options.prior) {
    const { generator, ...composition } = options.prior;
    const composed = withPrior(model, concreteInput(pickInput(model, options.input)).name,
      generator instanceof Uint8Array ? decodeModel(generator) : generator, composition);
    model = composed.model;
    inputName = composed.latent;
  }
  const input = concreteInput(pickInput(model, inputName));
  const output = pickOutput(model, options.output);
  const taken = new Set<string>(Object.values(NAMES));
  for (const n of model.graph.nodes) {
    taken.add(n.name);
    for (const t of [...n.inputs, ...n.outputs]) taken.add(t);
  }
  for (const k of model.graph.initializers.keys()) taken.add(k);
  for (const v of model.graph.inputs) taken.add(v.name);
  const b = new GraphBuilder(taken);
  const patched = { ...model, graph: { ...model.graph, inputs: model.graph.inputs.map((v) => (v.name === input.name ? input : v)) } };

  const w = legalizeAndInfer(patched, input, output, b, options.limits);
  if (!w.info.has(output.name)) throw new ModelError(`output "${output.name}" is not computed by any node`);
  return { w, b, model };
}

export function compileGradient(source: OnnxModel | Uint8Array, options: CompileOptions = {}): GradientProgram {
  const { w, b, model } = analyze(source, options);
  const { input, output } = w;
  const flops = forwardFlops(w);
  const head = withBatchAxis(w, findHead(w), b);
  const target = buildTarget(w, head, options.target ?? 'logit', b);
  const wrt = [...new Set(options.wrt ?? [])];
  for (const t of wrt) checkWrt(w, t);
  rewriteForBackward(w, new Set([...model.graph.outputs.map((o) => o.name), output.name, head.logits, target.tensor, ...wrt]), b);

  // objective[n] = sum_c target[n, c] * objective_weights[(n | 0), c]
  const targetShape = w.info.get(target.tensor)!.shape!;
  const weighted = b.fresh('weighted_target');
  const objNodes: OnnxNode[] = [
    { name: b.fresh('weighted_target_node'), opType: 'Mul', domain: '', inputs: [target.tensor, NAMES.weights], outputs: [weighted], attrs: {} },
    { name: b.fresh('objective_node'), opType: 'ReduceSum', domain: '', inputs: [weighted, b.constant({ dtype: 'int64', dims: [1], data: BigInt64Array.of(1n) }, 'class_axis')], outputs: [NAMES.objective], attrs: { keepdims: A.int(0) } },
  ];
  for (const [k, t] of b.initializers) {
    w.initializers.set(k, t);
    w.info.set(k, { dtype: t.dtype, shape: t.dims, value: t });
  }
  w.info.set(NAMES.weights, { dtype: 'float32', shape: [null, target.units] });
  w.info.set(weighted, { dtype: 'float32', shape: targetShape });
  w.info.set(NAMES.objective, { dtype: 'float32', shape: [targetShape[0]!] });
  for (const n of objNodes) {
    w.nodes.push(n);
    w.producer.set(n.outputs[0]!, n);
  }
  if (w.active.has(target.tensor)) {
    w.active.add(weighted);
    w.active.add(NAMES.objective);
  }

  // d objective / d target = the weights broadcast to the target's shape: the seed of the backward pass
  const gradOf = differentiate(w, target.tensor, b, (h) => b.op('Expand', [NAMES.weights, h.shapeOf(target.tensor)], {}, 'seed'), wrt);
  b.nodes.push({ name: b.fresh('grad_node'), opType: 'Identity', domain: '', inputs: [gradOf.input], outputs: [NAMES.grad], attrs: {} });
  w.info.set(NAMES.grad, { dtype: 'float32', shape: input.shape });
  const wrtOutputs: WrtOutput[] = wrt.map((tensor, i) => {
    const grad = b.fresh(`grad_wrt_${tensor}`);
    b.nodes.push({ name: b.fresh(`${grad}_node`), opType: 'Identity', domain: '', inputs: [gradOf.wrt[i]!], outputs: [grad], attrs: {} });
    const shape = w.info.get(tensor)!.shape;
    w.info.set(grad, { dtype: 'float32', shape });
    return { tensor, grad, shape };
  });
  for (const [k, t] of b.initializers) w.initializers.set(k, t);

  const outputs = [...new Set([
    output.name, head.logits, NAMES.objective, NAMES.grad, ...wrtOutputs.flatMap((o) => [o.tensor, o.grad]),
  ])];
  const { nodes, initializers } = prune([...w.nodes, ...b.nodes], w.initializers, outputs);
  const opTypes: Record<string, number> = {};
  for (const n of model.graph.nodes) {
    const key = n.domain ? `${n.domain}::${n.opType}` : n.opType;
    opTypes[key] = (opTypes[key] ?? 0) + 1;
  }
  const info = (name: string) => w.info.get(name)!;
  const program: OnnxModel = {
    irVersion: 8,
    opsets: new Map([['', TARGET_OPSET]]),
    producerName: 'ascent-gradient-compiler',
    producerVersion: '1',
    metadata: { target: target.kind, ...(target.name ? { target_tensor: target.name } : {}) },
    graph: {
      name: `${model.graph.name}_gradient`,
      nodes,
      initializers,
      inputs: [input, { name: NAMES.weights, dtype: 'float32', shape: ['W', target.units] }],
      outputs: outputs.map((name) => ({ name, dtype: 'float32', shape: info(name).shape })),
      valueInfo: [],
    },
  };
  return {
    model: program,
    input: { name: input.name, shape: input.shape! },
    outputs: { model: output.name, logits: head.logits, objective: NAMES.objective, grad: NAMES.grad },
    weights: NAMES.weights,
    units: target.units,
    classes: classesOf(w.info.get(head.logits)?.shape, target.units),
    outputKind: head.outputKind,
    target,
    opTypes,
    forwardFlops: flops,
    ...(wrtOutputs.length ? { wrt: wrtOutputs } : {}),
    memory: w.memory,
    nodes: nodes.length,
  };
}

/** A tensor the objective can be differentiated with respect to: computed by the model's nodes from the input. */
function checkWrt(w: WorkGraph, t: string): void {
  if (t === w.input.name) throw new ModelError(`"${t}" is the model input, not an intermediate tensor (its gradient is always computed)`);
  const info = w.info.get(t);
  if (!info) throw new ModelError(`the model has no tensor named "${t}"`);
  if (info.dtype !== 'float32' || !w.active.has(t)) throw new ModelError(`tensor "${t}" does not depend on the model input; there is no gradient with respect to it`);
}

function classesOf(shape: (number | string | null)[] | null | undefined, fallback: number): number {
  const c = shape?.[shape.length - 1];
  return shape?.length === 2 && typeof c === 'number' ? c : fallback;
}

/** The serializable part of a program. */
export function programMeta(p: GradientProgram): ProgramMeta {
  const { model: _graph, ...meta } = p;
  return meta;
}

/** Keeps only the nodes and initializers the outputs depend on. */
export function prune(all: OnnxNode[], weights: Map<string, Tensor>, outputs: readonly string[]): { nodes: OnnxNode[]; initializers: Map<string, Tensor> } {
  const nodes = reachingNodes(all, outputs);
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return { nodes, initializers: new Map([...weights].filter(([k]) => used.has(k))) };
}

function reachingNodes(nodes: OnnxNode[], outputs: readonly string[]): OnnxNode[] {
  const needed = new Set(outputs);
  const keep: OnnxNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    keep.push(n);
    for (const t of n.inputs) if (t) needed.add(t);
  }
  return keep.reverse();
}

/**
 * The program as ONNX bytes. `outputs`: only these of its outputs (e.g. what a runner fetches); the nodes and
 * weights nothing of them depends on are left out, since onnxruntime runs every node of a graph on every call.
 */
export function encodeProgram(p: GradientProgram, outputs?: readonly string[]): Uint8Array {
  if (!outputs) return encodeModel(p.model);
  return encodeModel({ ...p.model, graph: programGraph(p, outputs) });
}

/** The program's graph with only `outputs` and what they depend on (what encodeProgram writes), in memory. */
export function programGraph(p: GradientProgram, outputs: readonly string[]): OnnxGraph {
  const g = p.model.graph;
  const unknown = outputs.filter((o) => !g.outputs.some((v) => v.name === o));
  if (unknown.length) throw new Error(`the program has no output ${unknown.join(', ')}`);
  return { ...g, ...prune(g.nodes, g.initializers, outputs), outputs: g.outputs.filter((v) => outputs.includes(v.name)) };
}
