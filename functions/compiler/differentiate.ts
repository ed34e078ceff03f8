/**
 * Pass 2: reverse-mode differentiation. Walks the nodes between the input and the objective in reverse
 * topological order; each node's rule turns the gradients of its outputs into gradients of its inputs
 * (a vector-Jacobian product emitted as ONNX nodes). A tensor read by several nodes receives the sum of their
 * contributions.
 */
import { A, type OnnxNode } from '../onnx/model.js';
import { tensor } from '../onnx/tensor.js';
import { CompileError, ModelError, RuleError, type NodeProblem } from './errors.js';
import { RULES } from './ops/index.js';
import { fmt, type Dim } from './shapes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { WorkGraph } from './graph.js';
import type { TensorInfo, VjpContext } from './ops/types.js';

/**
 * Emits the gradient of the objective sum_c w[c] t[c] with respect to the graph input, and to the intermediate
 * tensors `wrt`: the backward pass starts at the target tensor t with the seed `seed(helpers)` (its gradient, the
 * weights broadcast to t's shape). A tensor's gradient is complete once every node reading it is done, which the
 * reverse topological order guarantees before its producer is reached.
 */
export function differentiate(w: WorkGraph, objective: string, b: GraphBuilder, seed: (h: Helpers) => string, wrt: readonly string[] = []): { input: string; wrt: string[] } {
  const helpers = makeHelpers(w, b);

  // The nodes that lie on a path from the input to the objective.
  const wanted = new Set([objective]);
  const onPath: OnnxNode[] = [];
  for (let i = w.nodes.length - 1; i >= 0; i--) {
    const n = w.nodes[i]!;
    if (!n.outputs.some((o) => wanted.has(o))) continue;
    const activeInputs = n.inputs.filter((t) => w.active.has(t));
    if (activeInputs.length === 0) continue;
    onPath.push(n);
    for (const t of activeInputs) wanted.add(t);
  }

  const contributions = new Map<string, string[]>();
  contributions.set(objective, [seed(helpers)]);
  const total = (t: string): string | undefined => {
    const parts = contributions.get(t);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const sum = b.op('Sum', parts, {}, `grad_${t}`);
    contributions.set(t, [sum]);
    return sum;
  };

  const problems: NodeProblem[] = [];
  for (const n of onPath) {
    const gys = n.outputs.map((o) => (o ? total(o) : undefined));
    if (gys.every((g) => g === undefined)) continue;
    if (w.passGradient.has(n)) {
      contributions.set(n.inputs[0]!, [...(contributions.get(n.inputs[0]!) ?? []), gys[0]!]);
      continue;
    }
    const rule = RULES[n.opType];
    try {
      if (!rule?.vjp) throw new RuleError(`no gradient rule for ${n.opType}; the path from the input to the objective goes through it`);
      const info = (t: string): TensorInfo => {
        const i = w.info.get(t);
        if (!i) throw new RuleError(`internal: no info for tensor ${t}`);
        return i;
      };
      const cx: VjpContext = {
        b,
        x: (i) => n.inputs[i]!,
        y: (i) => n.outputs[i]!,
        inInfo: (i) => info(n.inputs[i]!),
        outInfo: (i) => info(n.outputs[i]!),
        gy: (i) => gys[i],
        needs: (i) => !!n.inputs[i] && w.active.has(n.inputs[i]!),
        constValue: (i) => (n.inputs[i] ? w.initializers.get(n.inputs[i]!) : undefined),
        ...helpers,
      };
      const grads = rule.vjp(n, cx);
      n.inputs.forEach((t, i) => {
        const g = grads[i];
        if (!g || !cx.needs(i)) return;
        contributions.set(t, [...(contributions.get(t) ?? []), g]);
      });
    } catch (e) {
      if (!(e instanceof RuleError)) throw e;
      const shapes = n.inputs.map((t) => fmt(w.info.get(t)?.shape)).join(', ');
      problems.push({ node: n.name, opType: n.opType, reason: `${e.message} (input shapes ${shapes})` });
    }
  }
  if (problems.length > 0) throw new CompileError(problems);

  const wrtGrads = wrt.map((t) => {
    const g = total(t);
    if (!g) throw new ModelError(`the objective does not depend on tensor "${t}" (it lies after the target or off its path)`);
    return g;
  });
  // The objective may not depend on the input at all: then the gradient is zero.
  return { input: total(w.input.name) ?? b.op('Sub', [w.input.name, w.input.name], {}, 'zero_grad'), wrt: wrtGrads };
}

export type Helpers = Pick<VjpContext, 'f32' | 'i64' | 'shapeOf' | 'unbroadcast' | 'reshapeLike'>;

function makeHelpers(w: WorkGraph, b: GraphBuilder): Helpers {
  const constants = new Map<string, string>();
  const shapes = new Map<string, string>();
  const constant = (dtype: 'float32' | 'int64', values: number[], dims: number[]) => {
    const key = `${dtype}:${dims.join('x')}:${values.join(',')}`;
    let name = constants.get(key);
    if (!name) {
      name = b.constant(tensor(dtype, dims, values), dtype === 'float32' ? 'f' : 'i');
      constants.set(key, name);
      w.initializers.set(name, b.initializers.get(name)!);
    }
    return name;
  };
  const helpers: Helpers = {
    f32: (values, dims) => {
      const v = typeof values === 'number' ? [values] : values;
      return constant('float32', v, dims ?? (typeof values === 'number' ? [] : [v.length]));
    },
    i64: (values, dims) => constant('int64', values, dims ?? [values.length]),
    shapeOf: (name) => {
      let s = shapes.get(name);
      if (!s) {
        s = b.op('Shape', [name], {}, `shape_of_${name}`);
        shapes.set(name, s);
      }
      return s;
    },
    // Reshape(g, shape of x) with a constant shape when x's non-batch dims are known (one node, not two)
    reshapeLike: (g, x) => {
      const shape = w.info.get(x)?.shape;
      if (shape && shape.length > 0 && shape.slice(1).every((d) => typeof d === 'number')) {
        return b.op('Reshape', [g, helpers.i64([typeof shape[0] === 'number' ? shape[0] : -1, ...(shape.slice(1) as number[])])]);
      }
      return b.op('Reshape', [g, helpers.shapeOf(x)]);
    },
    // Sums g over the axes along which a tensor of shape `to` was broadcast to `from` (NumPy rules).
    unbroadcast: (g, from, to) => {
      const lead = from.length - to.length;
      if (lead < 0) throw new RuleError(`internal: cannot unbroadcast ${fmt(from)} to ${fmt(to)}`);
      const axes: number[] = [];
      for (let i = 0; i < from.length; i++) {
        if (i < lead) { axes.push(i); continue; }
        const f: Dim = from[i]!;
        const t: Dim = to[i - lead]!;
        if (t === 1 && f !== 1) axes.push(i);
        else if (t !== f && t !== 1 && (t === null || f === null || typeof t !== typeof f)) {
          throw new RuleError(`cannot tell whether axis ${i} of ${fmt(to)} was broadcast to ${fmt(from)}`);
        }
      }
      if (axes.length === 0) return g;
      let r = b.op('ReduceSum', [g, helpers.i64(axes)], { keepdims: A.int(1) });
      if (lead > 0) r = b.op('Squeeze', [r, helpers.i64([...Array(lead).keys()])]);
      return r;
    },
  };
  return helpers;
}
