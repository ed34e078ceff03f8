/**
 * Rewrites of the legalized forward graph that compute the same values but make the backward pass cheaper.
 * Each one is exact: the model's outputs and the gradient are unchanged, bit for bit in the forward pass.
 *
 * Relu then MaxPool  ->  MaxPool then Relu
 *   max is taken over a window and Relu is monotone non-decreasing, so Relu(max_w x) = max_w Relu(x) exactly
 *   (MaxPool's padding is -inf, which Relu maps below every real entry too). CNNs almost always write
 *   conv -> relu -> pool; after the swap the ReLU, and above all its backward mask (a Greater and a Where on the
 *   full activation), run on the pooled tensor: a quarter of the elements for 2x2 pooling. The gradient is the
 *   same: where a window's maximum is positive, Relu keeps it and its first argmax is the same position in x and
 *   in Relu(x); where it is not, Relu' = 0 at the argmax either way and the window passes no gradient.
 */
import type { WorkGraph } from './graph.js';

/** Applies the rewrites in place; `keep`: tensors that must stay as they are (outputs, the target). */
export function rewriteForBackward(w: WorkGraph, keep: Set<string>): void {
  commuteReluMaxPool(w, keep);
}

function consumers(w: WorkGraph, tensor: string): number {
  let n = 0;
  for (const node of w.nodes) for (const t of node.inputs) if (t === tensor) n++;
  return n;
}

function commuteReluMaxPool(w: WorkGraph, keep: Set<string>): void {
  for (let i = 0; i < w.nodes.length; i++) {
    const pool = w.nodes[i]!;
    if (pool.opType !== 'MaxPool') continue;
    const between = pool.inputs[0]!;
    const relu = w.producer.get(between);
    if (!relu || relu.opType !== 'Relu' || keep.has(between) || consumers(w, between) !== 1) continue;
    const pooled = pool.outputs[0]!;
    if (keep.has(pooled)) continue;
    // relu: a -> between, pool: between -> pooled   become   pool: a -> between, relu: between -> pooled
    // (the name `between` now holds the pooled, not yet rectified values)
    const a = relu.inputs[0]!;
    const r = w.nodes.indexOf(relu);
    const betweenInfo = w.info.get(pooled)!;
    pool.inputs = [a, ...pool.inputs.slice(1)];
    pool.outputs = [between, ...pool.outputs.slice(1)];
    relu.inputs = [between];
    relu.outputs = [pooled];
    w.info.set(between, betweenInfo);
    w.producer.set(between, pool);
    w.producer.set(pooled, relu);
    // order: the pool now comes first, at the relu's place; the relu right after it
    w.nodes.splice(i, 1);
    w.nodes.splice(r, 1, pool, relu);
    // `i` now points past the moved nodes or at a later node: every later MaxPool is still visited
  }
}
