/**
 * What the gradient is taken of. The objective is  sum_c w[c] * t[c]  per sample, with the weights w a run-time
 * input ("objective_weights", [1, C] or [N, C]) so one compiled graph serves every class, contrasts (w = e_K -
 * e_J) and batches. The target t is chosen when compiling:
 *   logit   (default) the unnormalized class scores. When the model ends in Softmax or LogSoftmax their input is
 *           used, so a probability model is maximized on its logits as Simonyan et al. (2013) recommend
 *           ("swap softmax for linear").
 *   logprob log-softmax of the logits;  prob  softmax of the logits.
 *   any other name: an intermediate tensor [N, C, ...], its units along axis 1 (the mean over the remaining
 *           axes, i.e. a channel's mean activation for NCHW feature maps).
 */
import { A, type OnnxNode } from '../onnx/model.js';
import { ModelError } from './errors.js';
import { fmt } from './shapes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import type { WorkGraph } from './graph.js';

/** The targets computed from the logits; any other target names an intermediate tensor. */
export const LOGIT_TARGETS = ['logit', 'logprob', 'prob'] as const;
export type TargetKind = (typeof LOGIT_TARGETS)[number];
export const isLogitTarget = (target: string): target is TargetKind => (LOGIT_TARGETS as readonly string[]).includes(target);
export type OutputKind = 'logits' | 'probabilities' | 'log-probabilities';

export interface Target {
  /** the tensor the objective reads ([N, C] after any reduction) */
  tensor: string;
  /** the requested target */
  kind: TargetKind | 'tensor';
  /** the named tensor for kind "tensor" */
  name?: string;
  /** number of units C (length of objective_weights rows) */
  units: number;
}

/** Layout-only ops a class-score vector may pass through between the head and the graph output. */
const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze']);

export interface Head {
  /** the logits tensor (pre-softmax scores) */
  logits: string;
  /** what the model's output holds */
  outputKind: OutputKind;
  /** the model's own Softmax/LogSoftmax output when it has one */
  softmax?: string;
  logSoftmax?: string;
}

/** Finds the logits behind the model's output by walking back through layout-only ops. */
export function findHead(w: WorkGraph): Head {
  let t = w.output.name;
  for (;;) {
    const n = w.producer.get(t);
    if (!n) break;
    if (n.opType === 'Softmax') return { logits: n.inputs[0]!, outputKind: 'probabilities', softmax: n.outputs[0]! };
    if (n.opType === 'LogSoftmax') return { logits: n.inputs[0]!, outputKind: 'log-probabilities', logSoftmax: n.outputs[0]! };
    if (!PASS_THROUGH.has(n.opType)) break;
    t = n.inputs[0]!;
  }
  return { logits: w.output.name, outputKind: 'logits' };
}

/** Appends a node with one float output of the given shape to the working graph. */
function append(w: WorkGraph, n: OnnxNode, shape: (number | string | null)[]): void {
  w.nodes.push(n);
  w.info.set(n.outputs[0]!, { dtype: 'float32', shape });
  if (n.inputs.some((i) => w.active.has(i))) w.active.add(n.outputs[0]!);
  w.producer.set(n.outputs[0]!, n);
}

/**
 * A model with a fixed batch of 1 may end in a class vector of rank 1 ([C], e.g. PyTorch's `view(-1)`): its
 * scores are read as [1, C] through an Unsqueeze, so everything after sees the usual [N, C].
 */
export function withBatchAxis(w: WorkGraph, head: Head, b: GraphBuilder): Head {
  const rank1 = (t: string | undefined) => {
    const shape = t === undefined ? undefined : w.info.get(t)?.shape;
    return shape?.length === 1 && typeof shape[0] === 'number';
  };
  if (!rank1(head.logits) || w.input.shape?.[0] !== 1) return head;
  const axes = b.constant({ dtype: 'int64', dims: [1], data: BigInt64Array.of(0n) }, 'batch_axis');
  const lift = (t: string | undefined) => {
    if (t === undefined || !rank1(t)) return t;
    const out = b.fresh(`${t}_batch_of_one`);
    append(w, { name: b.fresh(`${out}_node`), opType: 'Unsqueeze', domain: '', inputs: [t, axes], outputs: [out], attrs: {} }, [1, w.info.get(t)!.shape![0]!]);
    return out;
  };
  const lifted: Head = { logits: lift(head.logits)!, outputKind: head.outputKind };
  const softmax = lift(head.softmax);
  const logSoftmax = lift(head.logSoftmax);
  return { ...lifted, ...(softmax ? { softmax } : {}), ...(logSoftmax ? { logSoftmax } : {}) };
}

/** Appends the nodes computing the target tensor [N, C]; returns it with its unit count. */
export function buildTarget(w: WorkGraph, head: Head, target: string, b: GraphBuilder): Target {
  const add = (n: OnnxNode, shape: (number | string | null)[]) => append(w, n, shape);
  const logitsShape = w.info.get(head.logits)?.shape;
  const classesOf = (shape: (number | string | null)[] | null | undefined, what: string) => {
    if (!shape || shape.length !== 2 || typeof shape[1] !== 'number') {
      const batch = w.input.shape?.[0];
      const rank1 = shape?.length === 1 && batch !== 1
        ? ` (a class vector of rank 1 is read as [1, classes] only when the input has a fixed batch of 1; this input's batch is ${batch ?? '?'})`
        : '';
      throw new ModelError(`the ${what} tensor should have shape [N, classes], it has ${fmt(shape)}${rank1}; name a target tensor instead`);
    }
    return shape[1];
  };
  if (target === 'logit') return { tensor: head.logits, kind: 'logit', units: classesOf(logitsShape, 'logits') };
  if (target === 'prob' || target === 'logprob') {
    const units = classesOf(logitsShape, 'logits');
    const existing = target === 'prob' ? head.softmax : head.logSoftmax;
    if (existing) return { tensor: existing, kind: target, units };
    const out = b.fresh(target === 'prob' ? 'probabilities' : 'log_probabilities');
    add({ name: b.fresh(`${out}_node`), opType: target === 'prob' ? 'Softmax' : 'LogSoftmax', domain: '', inputs: [head.logits], outputs: [out], attrs: { axis: A.int(-1) } }, logitsShape!);
    return { tensor: out, kind: target, units };
  }
  // a named intermediate tensor
  const info = w.info.get(target);
  if (!info) throw new ModelError(`the model has no tensor named "${target}" (targets: ${LOGIT_TARGETS.join(', ')}, or a tensor name)`);
  if (info.dtype !== 'float32' || !w.active.has(target)) throw new ModelError(`tensor "${target}" does not depend on the model input; it cannot be maximized`);
  const shape = info.shape;
  if (!shape || shape.length < 2 || typeof shape[1] !== 'number') {
    throw new ModelError(`tensor "${target}" has shape ${fmt(shape)}; a target needs units along axis 1 of known size`);
  }
  if (shape.length === 2) return { tensor: target, kind: 'tensor', name: target, units: shape[1] };
  const out = b.fresh(`${target}_unit_mean`);
  const axes = Array.from({ length: shape.length - 2 }, (_, i) => i + 2);
  add({ name: b.fresh(`${out}_node`), opType: 'ReduceMean', domain: '', inputs: [target], outputs: [out], attrs: { axes: A.ints(axes), keepdims: A.int(0) } }, [shape[0]!, shape[1]]);
  return { tensor: out, kind: 'tensor', name: target, units: shape[1] };
}
