/**
 * Gradients of Gemm and MatMul (functions/compiler/ops/linear.ts) against tf.grad: every alpha/beta/transA/
 * transB combination with the input as A, as B and as C, and MatMul with 2-D and broadcast N-D operands.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { floats, int64s } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

const T = (x: tf.Tensor) => tf.transpose(x);

describe('Gemm', () => {
  it('matches tf.grad for alpha, beta, transA, transB and C shapes', async () => {
    const rng = new Rng(21);
    const cases: OpCase[] = [];
    for (const transA of [0, 1]) {
      for (const transB of [0, 1]) {
        for (let trial = 0; trial < 3; trial++) {
          const n = rng.int(1, 3);
          const k = rng.int(1, 5);
          const m = rng.int(1, 4);
          const alpha = rng.pick([1, 0.5, -1.5]);
          const beta = rng.pick([1, 0.25, 2]);
          const cShape = rng.pick([[m], [1, m], [n, m], [n, 1], []]);
          const attrs = { alpha: A.float(alpha), beta: A.float(beta), transA: A.int(transA), transB: A.int(transB) };
          const w = rng.floats(k * m);
          const c = rng.floats(cShape.reduce((a, b) => a * b, 1));
          // the input as A: [N, K] (transA: fed as its transpose [K, N])
          cases.push({
            name: `Gemm(x, W) alpha=${alpha} beta=${beta} transA=${transA} transB=${transB} C[${cShape}] x[${n},${k}]`,
            inputShape: [n, k],
            fixedBatch: cShape[0] === n && cShape.length === 2,
            nodes: transA
              ? [node('Transpose', ['x'], 'xt'), node('Gemm', ['xt', 'W', 'C'], 'y', attrs)]
              : [node('Gemm', ['x', 'W', 'C'], 'y', attrs)],
            initializers: { W: floats(transB ? [m, k] : [k, m], w), C: floats(cShape, c) },
            oracle: (x, p) => tf.add(tf.mul(alpha, tf.matMul(x, transB ? T(p.W!) : p.W!)), tf.mul(beta, p.C!)),
          });
          // the input as B: y^T = alpha A' x' + beta C, x' = x^T ([K, N]); transB: x fed as it is
          const a = rng.floats(m * k);
          cases.push({
            name: `Gemm(A, x) alpha=${alpha} transA=${transA} transB=${transB} x[${n},${k}]`,
            inputShape: [n, k],
            nodes: [
              ...(transB ? [] : [node('Transpose', ['x'], 'xt')]),
              node('Gemm', ['A', transB ? 'x' : 'xt'], 'yt', { alpha: A.float(alpha), transA: A.int(transA), transB: A.int(transB) }),
              node('Transpose', ['yt'], 'y'),
            ],
            initializers: { A: floats(transA ? [k, m] : [m, k], a) },
            oracle: (x, p) => T(tf.mul(alpha, tf.matMul(transA ? T(p.A!) : p.A!, T(x)))),
          });
        }
      }
    }
    // the input as C as well (beta scales its gradient), and as both A and C
    cases.push({
      name: 'Gemm(x, W, x) beta=0.5',
      inputShape: [2, 3],
      nodes: [node('Gemm', ['x', 'W', 'x'], 'y', { beta: A.float(0.5) })],
      initializers: { W: floats([3, 3], rng.floats(9)) },
      oracle: (x, p) => tf.add(tf.matMul(x, p.W!), tf.mul(0.5, x)),
    });
    cases.push({
      name: 'Gemm(W, x, reducesum(x)) transB=1 beta=-2: C [N, 1] from the input',
      inputShape: [3, 4],
      nodes: [
        node('ReduceSum', ['x', 'one'], 's', { keepdims: A.int(1) }),
        node('Gemm', ['x', 'W', 's'], 'y', { transB: A.int(1), beta: A.float(-2), alpha: A.float(0.75) }),
      ],
      initializers: { W: floats([2, 4], rng.floats(8)), one: int64s([1]) },
      oracle: (x, p) => tf.add(tf.mul(0.75, tf.matMul(x, T(p.W!))), tf.mul(-2, tf.sum(x, 1, true))),
    });
    cases.push({
      name: 'Gemm opset 7 (legacy broadcast attribute removed)',
      opset: 7,
      inputShape: [2, 3],
      nodes: [node('Gemm', ['x', 'W', 'C'], 'y', { broadcast: A.int(1), transB: A.int(1) })],
      initializers: { W: floats([4, 3], rng.floats(12)), C: floats([4], rng.floats(4)) },
      oracle: (x, p) => tf.add(tf.matMul(x, T(p.W!)), p.C!),
    });
    expect(await checkOps(cases, 21)).toEqual([]);
  });
});

describe('MatMul', () => {
  it('matches tf.grad for 2-D and broadcast N-D operands', async () => {
    const rng = new Rng(22);
    const cases: OpCase[] = [];
    // [input shape, constant shape, constant first?]
    const layouts: [number[], number[], boolean][] = [
      [[2, 5], [5, 3], false],
      [[1, 4], [4, 1], false],
      [[3, 2, 4], [4, 3], false],
      [[2, 3, 2, 4], [4, 2], false],
      [[2, 3, 4], [2, 4, 2], false],
      [[2, 1, 3, 4], [2, 4, 5], false],
      [[2, 3, 2, 4], [1, 4, 5], false],
      [[2, 1, 3, 4], [1, 1, 4, 2], false],
      [[2, 3, 4], [1, 4, 2], false],
      [[2, 4, 3], [2, 4], true],
      [[2, 2, 4, 3], [2, 1, 2, 4].slice(1), true],
      [[2, 1, 4, 3], [3, 2, 4], true],
    ];
    for (const [inputShape, cShape, constFirst] of layouts) {
      cases.push({
        // a constant whose leading axis meets the batch axis fixes the batch size
        fixedBatch: cShape.length === inputShape.length && cShape[0] !== 1,
        name: constFirst ? `MatMul(c[${cShape}], x[${inputShape}])` : `MatMul(x[${inputShape}], c[${cShape}])`,
        inputShape,
        nodes: [node('MatMul', constFirst ? ['c', 'x'] : ['x', 'c'])],
        initializers: { c: floats(cShape, rng.floats(cShape.reduce((a, b) => a * b, 1))) },
        oracle: (x, p) => broadcastMatMul(constFirst ? p.c! : x, constFirst ? x : p.c!),
      });
    }
    cases.push({
      name: 'MatMul(x, transpose(x))',
      inputShape: [2, 3, 4],
      nodes: [node('Transpose', ['x'], 'xt', { perm: A.ints([0, 2, 1]) }), node('MatMul', ['x', 'xt'])],
      oracle: (x) => tf.matMul(x, x, false, true),
    });
    cases.push({
      name: 'MatMul(x, x) square',
      inputShape: [2, 3, 3],
      nodes: [node('MatMul', ['x', 'x'])],
      oracle: (x) => tf.matMul(x, x),
    });
    cases.push({
      name: 'MatMul(reshape(x) [N, 1, 2, 3], reshape(x) [N, 2, 3, 1]): the left operand broadcast',
      inputShape: [2, 2, 3],
      nodes: [node('Reshape', ['x', 'sa'], 'a'), node('Reshape', ['x', 'sb'], 'b'), node('MatMul', ['a', 'b'])],
      initializers: { sa: int64s([-1, 1, 2, 3]), sb: int64s([-1, 2, 3, 1]) },
      oracle: (x) => broadcastMatMul(tf.reshape(x, [2, 1, 2, 3]), tf.reshape(x, [2, 2, 3, 1])),
    });
    expect(await checkOps(cases, 22)).toEqual([]);
  });
});

/** NumPy matmul with broadcast leading axes (tfjs matMul wants equal ranks). */
function broadcastMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const rank = Math.max(a.rank, b.rank);
  const lift = (t: tf.Tensor) => tf.reshape(t, [...Array<number>(rank - t.rank).fill(1), ...t.shape]);
  const [a2, b2] = [lift(a), lift(b)];
  const lead = a2.shape.slice(0, -2).map((d, i) => Math.max(d, b2.shape[i]!));
  const full = (t: tf.Tensor) => tf.broadcastTo(t, [...lead, ...t.shape.slice(-2)]);
  return tf.matMul(full(a2), full(b2));
}
