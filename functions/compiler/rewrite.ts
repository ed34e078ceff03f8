/**
 * Rewrites of the legalized forward graph that leave every value and the gradient unchanged but make the
 * backward pass cheaper.
 *
 * ReLU then MaxPool: the ReLU's mask moves to the pooled tensor.
 *   CNNs almost always write conv -> relu -> maxpool. Taken node by node, the backward pass masks the full
 *   activation (a Greater and a Where on every element) after max-unpooling into it. But ReLU is monotone, so
 *   max_w Relu(a) = Relu(max_w Relu(a)), and the unpooled gradient is non-zero only at each window's argmax p,
 *   where Relu'(a_p) = 1 exactly when the window's maximum is positive. So the rewrite appends a ReLU after the
 *   pool (a no-op on its values, which are >= 0) whose mask, on a quarter of the elements for 2x2 pooling,
 *   decides the same, and lets the gradient pass the first ReLU unmasked (WorkGraph.passGradient). Ties and
 *   all-negative windows agree too: where the maximum is 0, both masks give 0.
 *   (Swapping the two nodes instead, MaxPool then Relu, would also be exact, but onnxruntime's MaxPool with
 *   indices runs markedly slower on signed input than on ReLU output.)
 */
import type { GraphBuilder } from '../onnx/builder.js';
import type { WorkGraph } from './graph.js';

/** Applies the rewrites in place; `keep`: tensors that must stay as they are (outputs, the target). */
export function rewriteForBackward(w: WorkGraph, keep: Set<string>, b: GraphBuilder): void {
  maskAfterPooling(w, keep, b);
}

function consumers(w: WorkGraph, tensor: string): number {
  let n = 0;
  for (const node of w.nodes) for (const t of node.inputs) if (t === tensor) n++;
  return n;
}

function maskAfterPooling(w: WorkGraph, keep: Set<string>, b: GraphBuilder): void {
  for (let i = 0; i < w.nodes.length; i++) {
    const pool = w.nodes[i]!;
    if (pool.opType !== 'MaxPool') continue;
    const rectified = pool.inputs[0]!;
    const relu = w.producer.get(rectified);
    if (!relu || relu.opType !== 'Relu' || !w.active.has(rectified) || keep.has(rectified) || consumers(w, rectified) !== 1) continue;
    // pool: rectified -> pooled   becomes   pool: rectified -> raw, relu: raw -> pooled
    const pooled = pool.outputs[0]!;
    const raw = b.fresh(`${pooled}_unmasked`);
    pool.outputs = [raw, ...pool.outputs.slice(1)];
    const mask = { name: b.fresh(`${pooled}_relu_node`), opType: 'Relu', domain: '', inputs: [raw], outputs: [pooled], attrs: {} };
    w.info.set(raw, w.info.get(pooled)!);
    w.active.add(raw);
    w.producer.set(raw, pool);
    w.producer.set(pooled, mask);
    w.nodes.splice(i + 1, 0, mask);
    w.passGradient.add(relu);
    i++;
  }
}
