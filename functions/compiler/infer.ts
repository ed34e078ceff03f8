/**
 * Pass 1: legalize every node to the target opset and infer what is known about every tensor, in topological
 * order. Problems (unsupported ops, attribute values, shapes) are collected for the whole graph so one error
 * lists them all.
 */
import { GraphBuilder } from '../onnx/builder.js';
import { CompileError, ModelError, RuleError, type NodeProblem } from './errors.js';
import { RULES } from './ops/index.js';
import { topologicalOrder, type WorkGraph } from './graph.js';
import type { OnnxModel, OnnxNode, ValueInfo } from '../onnx/model.js';
import type { Tensor } from '../onnx/tensor.js';
import type { InferContext, TensorInfo } from './ops/types.js';
import { fmt } from './shapes.js';
import { DEFAULT_COMPILE_LIMITS, SIZE_PRESERVING, tensorSize, unknownSize, type CompileLimits, type TensorSize } from './limits.js';
import { OnnxFormatError } from '../onnx/errors.js';
import { bytesPerElement } from '../onnx/tensor.js';

/**
 * A rule's failure as the reason given for its node: its own RuleError, an attribute of the wrong type, or any
 * other exception a malformed file provokes (it is the file's problem, never a crash of the service).
 */
function reasonOf(e: unknown): string {
  if (e instanceof RuleError || e instanceof OnnxFormatError) return e.message;
  return `cannot be read (${e instanceof Error ? e.message : String(e)})`;
}

export const MIN_OPSET = 7;
export const MAX_OPSET = 23;

export function legalizeAndInfer(model: OnnxModel, input: ValueInfo, output: ValueInfo, builder: GraphBuilder, limits: CompileLimits = DEFAULT_COMPILE_LIMITS): WorkGraph {
  const opset = model.opsets.get('') ?? 1;
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ModelError(`the model uses ai.onnx opset ${opset}; Ascent reads opsets ${MIN_OPSET} to ${MAX_OPSET} (re-export with a supported opset)`);
  }
  const g = model.graph;
  if (g.nodes.length > limits.maxNodes) {
    throw new ModelError(`the graph has ${g.nodes.length.toLocaleString('en-US')} nodes; at most ${limits.maxNodes.toLocaleString('en-US')} are accepted (each node costs time on every step, whatever its arithmetic)`);
  }
  const initializers = new Map<string, Tensor>(g.initializers);
  const info = new Map<string, TensorInfo>();
  for (const [name, t] of initializers) info.set(name, { dtype: t.dtype, shape: t.dims, value: t });
  for (const v of g.inputs) info.set(v.name, { dtype: v.dtype, shape: v.shape });
  const active = new Set<string>([input.name]);
  const batch = typeof input.shape?.[0] === 'string' ? input.shape[0] : undefined;
  const memory = { weightBytes: 0, fixedBytes: 0, perRowBytes: 0 };
  const sizes = new Map<string, TensorSize>();
  try {
    const size = tensorSize(input.shape, batch, limits);
    if (!size) throw unknownSize(input.shape);
    sizes.set(input.name, size);
    memory[size.perRow ? 'perRowBytes' : 'fixedBytes'] += size.elements * 4;
  } catch (e) {
    throw new ModelError(`input "${input.name}": ${(e as Error).message}`);
  }
  const problems: NodeProblem[] = [];
  const poisoned = new Set<string>();

  const available = new Set([...info.keys()]);
  const { order, stuck } = topologicalOrder(g.nodes, available);
  if (stuck.length > 0) {
    const n = stuck[0]!;
    const missing = n.inputs.filter((t) => t && !available.has(t) && !g.nodes.some((m) => m.outputs.includes(t)));
    throw new ModelError(missing.length
      ? `node "${n.name}" (${n.opType}) reads tensor "${missing[0]}", which no node, input or initializer provides`
      : `the graph has a cycle through node "${n.name}" (${n.opType})`);
  }

  const nodes: OnnxNode[] = [];
  const lcx = {
    opset,
    b: builder,
    constant: (name: string) => initializers.get(name),
    define: (name: string, value: Tensor) => {
      initializers.set(name, value);
      info.set(name, { dtype: value.dtype, shape: value.dims, value });
    },
    shape: (name: string) => info.get(name)?.shape ?? null,
    rank: (name: string) => {
      const s = info.get(name)?.shape;
      if (!s) throw new RuleError(`the rank of "${name}" is unknown`);
      return s.length;
    },
  };

  for (const original of order) {
    const problem = (reason: string) => problems.push({ node: original.name, opType: original.domain ? `${original.domain}::${original.opType}` : original.opType, reason });
    const rule = original.domain === '' ? RULES[original.opType] : undefined;
    if (!rule) {
      problem('unsupported op');
      for (const o of original.outputs) poisoned.add(o);
      continue;
    }
    if (original.inputs.some((t) => poisoned.has(t))) {
      for (const o of original.outputs) poisoned.add(o);
      continue;
    }
    let legal: OnnxNode[];
    try {
      legal = rule.legalize ? rule.legalize(original, lcx) : [original];
      for (const [name, t] of builder.initializers) lcx.define(name, t);
      builder.initializers.clear();
    } catch (e) {
      problem(reasonOf(e));
      for (const o of original.outputs) poisoned.add(o);
      continue;
    }
    for (const n of legal) {
      const r = RULES[n.opType];
      try {
        if (!r) throw new RuleError(`internal: no rule for legalized op ${n.opType}`);
        const cx: InferContext = {
          input: (i) => (n.inputs[i] ? info.get(n.inputs[i]!) : undefined),
          required: (i) => {
            const name = n.inputs[i];
            const t = name ? info.get(name) : undefined;
            if (!t) throw new RuleError(`input ${i} is missing`);
            return t;
          },
        };
        const outs = r.infer(n, cx);
        n.outputs.forEach((o, i) => {
          if (!o) return;
          const t = outs[i];
          if (!t) throw new RuleError(`internal: no info for output ${i}`);
          // a size shape inference cannot name is still known for ops that keep their input's element count
          const size = tensorSize(t.shape, batch, limits) ?? (SIZE_PRESERVING.has(n.opType) ? sizes.get(n.inputs[0]!) ?? tensorSize(info.get(n.inputs[0]!)?.shape ?? null, batch, limits) : undefined);
          if (!size) throw unknownSize(t.shape);
          sizes.set(o, size);
          const bytes = size.elements * (bytesPerElement(t.dtype) ?? 4);
          if (size.perRow) memory.perRowBytes += bytes;
          else memory.fixedBytes += bytes;
          info.set(o, t);
          if (t.dtype === 'float32' && n.inputs.some((x) => active.has(x))) active.add(o);
        });
        nodes.push(n);
      } catch (e) {
        const shapes = n.inputs.map((t) => fmt(info.get(t)?.shape)).join(', ');
        problem(`${reasonOf(e)} (input shapes ${shapes})`);
        for (const o of n.outputs) poisoned.add(o);
      }
    }
  }
  if (problems.length > 0) throw new CompileError(problems);
  for (const t of initializers.values()) memory.weightBytes += t.data.byteLength;

  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  return { source: model, opset, nodes, initializers, input, output, info, active, producer, passGradient: new Set(), memory };
}
