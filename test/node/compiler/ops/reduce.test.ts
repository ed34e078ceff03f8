/**
 * Gradients of ReduceSum and ReduceMean (functions/compiler/ops/reduce.ts) against tf.grad: random axes
 * (negative too), keepdims 0/1, axes as attribute (ReduceSum < 13, ReduceMean < 18) or input, no axes
 * (all axes) and noop_with_empty_axes.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { int64s } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

type Reduce = 'ReduceSum' | 'ReduceMean';
const TF: Record<Reduce, (x: tf.Tensor, axes?: number[], keep?: boolean) => tf.Tensor> = {
  ReduceSum: (x, axes, keep) => tf.sum(x, axes, keep),
  ReduceMean: (x, axes, keep) => tf.mean(x, axes, keep),
};
/** the first opset where the op takes its axes as an input */
const AXES_INPUT: Record<Reduce, number> = { ReduceSum: 13, ReduceMean: 18 };

describe('ReduceSum and ReduceMean', () => {
  it('match tf.grad for random axes, keepdims and opsets', async () => {
    const rng = new Rng(51);
    const cases: OpCase[] = [];
    for (const op of ['ReduceSum', 'ReduceMean'] as Reduce[]) {
      for (let t = 0; t < 8; t++) {
        const rank = rng.int(2, 4);
        const s = [rng.int(1, 3), ...Array.from({ length: rank - 1 }, () => rng.int(1, 4))];
        // reduce some non-batch axes (the output stays batch-first), written positive or negative
        let axes = [...Array(rank - 1).keys()].map((i) => i + 1).filter(() => rng.next() < 0.6);
        if (axes.length === 0) axes = [rank - 1];
        const written = axes.map((a) => (rng.next() < 0.5 ? a - rank : a));
        const keep = rng.int(0, 1);
        const opset = rng.pick([11, 13, 17, 18, 20]);
        const asInput = opset >= AXES_INPUT[op];
        cases.push({
          name: `${op}(axes=[${written}], keepdims=${keep}) opset ${opset} x[${s}]`,
          inputShape: s,
          opset,
          nodes: [node(op, asInput ? ['x', 'axes'] : ['x'], 'y', { keepdims: A.int(keep), ...(asInput ? {} : { axes: A.ints(written) }) })],
          initializers: asInput ? { axes: int64s(written) } : {},
          oracle: (x) => TF[op](x, axes, keep === 1),
        });
      }
      // no axes: reduce everything (the batch too); x + that keeps the output batch-first
      for (const opset of [11, 13, 18]) {
        cases.push({
          name: `x + ${op}(x) over all axes, keepdims=1, opset ${opset}`,
          inputShape: [2, 3, 2],
          opset,
          nodes: [node(op, ['x'], 'r'), node('Add', ['x', 'r'])],
          oracle: (x) => tf.add(x, TF[op](x, undefined, true)),
        });
      }
      // empty axes with noop_with_empty_axes=1 (opset 13 ReduceSum / 18 ReduceMean): the identity
      const opset = AXES_INPUT[op];
      cases.push({
        name: `${op}(axes=[], noop_with_empty_axes=1) opset ${opset}`,
        inputShape: [2, 3],
        opset,
        nodes: [node(op, ['x', 'axes'], 'y', { noop_with_empty_axes: A.int(1) })],
        initializers: { axes: int64s([]) },
        oracle: (x) => tf.mul(x, 1),
      });
      cases.push({
        name: `${op}(axes=[1, 2], keepdims=0) of [N, 2, 3, 2]: [N, 2], scaled back by Mul(x)`,
        inputShape: [2, 2, 3, 2],
        opset: 17,
        nodes: [
          node(op, op === 'ReduceSum' ? ['x', 'axes'] : ['x'], 'r', { keepdims: A.int(0), ...(op === 'ReduceSum' ? {} : { axes: A.ints([1, 2]) }) }),
          node('Unsqueeze', ['r', 'ax'], 'u'),
          node('Mul', ['x', 'u']),
        ],
        initializers: { axes: int64s([1, 2]), ax: int64s([1, 2]) },
        oracle: (x) => tf.mul(x, TF[op](x, [1, 2], true)),
      });
    }
    // axes computed in the graph (a Concat of constants) rather than given as an initializer
    cases.push({
      name: 'ReduceSum with computed axes [1, 3], keepdims=0',
      inputShape: [2, 3, 2, 4],
      nodes: [node('Concat', ['a1', 'a3'], 'axes', { axis: A.int(0) }), node('ReduceSum', ['x', 'axes'], 'y', { keepdims: A.int(0) })],
      initializers: { a1: int64s([1]), a3: int64s([3]) },
      oracle: (x) => tf.sum(x, [1, 3]),
    });
    expect(await checkOps(cases, 51)).toEqual([]);
  });
});
