/**
 * Gradients of the elementwise rules (functions/compiler/ops/elementwise.ts) against tf.grad: activations,
 * broadcasting arithmetic (including both operands depending on the input) and pass-through ops.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { floats, int64s, tensor } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';
import type { OracleOp } from '../../helpers/oracle.js';
import type { Attr } from '../../../../functions/onnx/model.js';

/** A few random input shapes [N, ...] of rank 2 to 4. */
function shapes(rng: Rng, count: number): number[][] {
  return Array.from({ length: count }, (_, i) => [rng.int(1, 3), ...Array.from({ length: 1 + (i % 3) }, () => rng.int(1, 5))]);
}

interface Unary {
  op: string;
  attrs?: Record<string, Attr>;
  oracle: OracleOp;
  x?: OpCase['x'];
  opset?: number;
  /** extra inputs after x (constant names) and their initializers */
  inputs?: string[];
  initializers?: OpCase['initializers'];
  label?: string;
}

const positive: OpCase['x'] = (r, n) => r.floats(n, 0.1, 2);

const UNARY: Unary[] = [
  { op: 'Relu', oracle: (x) => tf.relu(x), x: (r, n) => r.signedAway(n, 1e-3, 1) },
  { op: 'Relu', opset: 7, oracle: (x) => tf.relu(x), label: 'Relu opset 7' },
  { op: 'LeakyRelu', attrs: { alpha: A.float(0.1) }, oracle: (x) => tf.leakyRelu(x, 0.1) },
  { op: 'LeakyRelu', oracle: (x) => tf.leakyRelu(x, 0.01), label: 'LeakyRelu default alpha' },
  { op: 'Elu', oracle: (x) => tf.elu(x) },
  { op: 'Elu', attrs: { alpha: A.float(0.5) }, oracle: (x) => tf.add(tf.relu(x), tf.mul(0.5, tf.sub(tf.exp(tf.minimum(x, 0)), 1))), label: 'Elu alpha 0.5' },
  { op: 'Selu', oracle: (x) => tf.selu(x) },
  { op: 'Sigmoid', oracle: (x) => tf.sigmoid(x), x: (r, n) => r.floats(n, -3, 3) },
  { op: 'HardSigmoid', attrs: { alpha: A.float(0.3), beta: A.float(0.4) }, oracle: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.3), 0.4), 0, 1), x: (r, n) => r.floats(n, -3, 3) },
  { op: 'Tanh', oracle: (x) => tf.tanh(x), x: (r, n) => r.floats(n, -2, 2) },
  { op: 'Exp', oracle: (x) => tf.exp(x) },
  { op: 'Log', oracle: (x) => tf.log(x), x: positive },
  { op: 'Sqrt', oracle: (x) => tf.sqrt(x), x: positive },
  { op: 'Abs', oracle: (x) => tf.abs(x) },
  { op: 'Neg', oracle: (x) => tf.neg(x) },
  { op: 'Reciprocal', oracle: (x) => tf.reciprocal(x), x: (r, n) => r.signedAway(n, 0.3, 2) },
  { op: 'Softplus', oracle: (x) => tf.softplus(x), x: (r, n) => r.floats(n, -3, 3) },
  { op: 'Softsign', oracle: (x) => tf.div(x, tf.add(1, tf.abs(x))) },
  { op: 'Identity', oracle: (x) => x },
  { op: 'Cast', attrs: { to: A.int(1) }, oracle: (x) => x, label: 'Cast float->float' },
  { op: 'Dropout', oracle: (x) => x, label: 'Dropout (opset 17, no ratio)' },
  { op: 'Dropout', inputs: ['ratio'], initializers: { ratio: tensor('float32', [], [0.3]) }, oracle: (x) => x, label: 'Dropout with ratio input' },
  { op: 'Dropout', opset: 7, attrs: { ratio: A.float(0.5) }, oracle: (x) => x, label: 'Dropout opset 7' },
  { op: 'Dropout', opset: 12, inputs: ['ratio', 'training'], initializers: { ratio: floats([], [0.2]), training: tensor('bool', [], [0]) }, oracle: (x) => x, label: 'Dropout opset 12 training_mode=false' },
  // Clip: bounds as inputs (opset 11+), one bound omitted, bounds as attributes (opset 6)
  {
    op: 'Clip', inputs: ['lo', 'hi'], initializers: { lo: floats([], [-0.4]), hi: floats([], [0.3]) },
    oracle: (x) => tf.clipByValue(x, -0.4, 0.3), label: 'Clip(min, max)',
  },
  { op: 'Clip', inputs: ['', 'hi'], initializers: { hi: floats([], [0.2]) }, oracle: (x) => tf.minimum(x, 0.2), label: 'Clip(max only)' },
  { op: 'Clip', inputs: ['lo'], initializers: { lo: floats([], [-0.1]) }, oracle: (x) => tf.maximum(x, -0.1), label: 'Clip(min only)' },
  { op: 'Clip', oracle: (x) => x, label: 'Clip(no bounds)' },
  { op: 'Clip', opset: 7, attrs: { min: A.float(-0.5), max: A.float(0.25) }, oracle: (x) => tf.clipByValue(x, -0.5, 0.25), label: 'Clip opset 7 attributes' },
  { op: 'Clip', opset: 10, attrs: { max: A.float(0.25) }, oracle: (x) => tf.minimum(x, 0.25), label: 'Clip opset 10 max only' },
  { op: 'Clip', opset: 7, oracle: (x) => x, label: 'Clip opset 7 no attributes' },
];

describe('elementwise activations', () => {
  it('match tf.grad over random shapes', async () => {
    const rng = new Rng(11);
    const cases: OpCase[] = [];
    for (const u of UNARY) {
      for (const inputShape of shapes(rng, 3)) {
        cases.push({
          name: `${u.label ?? u.op} on [${inputShape}]`,
          inputShape,
          opset: u.opset ?? 17,
          nodes: [node(u.op, ['x', ...(u.inputs ?? [])], 'y', u.attrs ?? {})],
          initializers: u.initializers ?? {},
          oracle: u.oracle,
          ...(u.x ? { x: u.x } : {}),
        });
      }
    }
    expect(await checkOps(cases, 1)).toEqual([]);
  });
});

type Binary = 'Add' | 'Sub' | 'Mul' | 'Div';
const TF_BINARY: Record<Binary, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div };

describe('broadcasting arithmetic', () => {
  it('x (op) constant and constant (op) x, NumPy broadcasting both ways', async () => {
    const rng = new Rng(12);
    // [input shape, constant shape]: the constant broadcast over x, x broadcast over the constant, or both
    const pairs: [number[], number[]][] = [
      [[2, 3, 4], [4]], [[2, 3, 4], [3, 1]], [[3, 3, 4], [1, 3, 4]], [[2, 3, 4], []], [[2, 5], [1, 5]],
      [[2, 1, 4], [3, 4]], [[2, 1, 4], [1, 3, 1]], [[2, 3, 1, 2], [4, 1]], [[1, 4], [2, 3, 4].slice(2)], [[2, 4], [4]],
    ];
    const cases: OpCase[] = [];
    for (const op of ['Add', 'Sub', 'Mul', 'Div'] as Binary[]) {
      for (const [inputShape, cShape] of pairs) {
        const size = cShape.reduce((a, b) => a * b, 1);
        const c = op === 'Div' ? rng.signedAway(size, 0.5, 2) : rng.floats(size);
        for (const constFirst of [false, true]) {
          cases.push({
            name: `${op}(${constFirst ? `c[${cShape}], x[${inputShape}]` : `x[${inputShape}], c[${cShape}]`})`,
            inputShape,
            nodes: [node(op, constFirst ? ['c', 'x'] : ['x', 'c'])],
            initializers: { c: floats(cShape, c) },
            oracle: (x, k) => (constFirst ? TF_BINARY[op](k.c!, x) : TF_BINARY[op](x, k.c!)),
            x: (r, n) => (op === 'Div' && constFirst ? r.signedAway(n, 0.5, 2) : r.floats(n)),
          });
        }
      }
    }
    expect(await checkOps(cases, 2)).toEqual([]);
  });

  it('both operands depend on the input (x * x, x + reshape(x), x / sum(x))', async () => {
    const cases: OpCase[] = [];
    for (const op of ['Add', 'Sub', 'Mul', 'Div'] as Binary[]) {
      const f = TF_BINARY[op];
      const away: OpCase['x'] = (r, n) => r.signedAway(n, 0.3, 1.5);
      // (x / x has a zero gradient: divide x by x * x instead)
      cases.push(op === 'Div'
        ? { name: 'Div(x, x * x)', inputShape: [2, 3, 4], nodes: [node('Mul', ['x', 'x'], 'xx'), node(op, ['x', 'xx'])], oracle: (x) => f(x, tf.mul(x, x)), x: away }
        : { name: `${op}(x, x)`, inputShape: [2, 3, 4], nodes: [node(op, ['x', 'x'])], oracle: (x) => f(x, x), x: away });
      // [N, 1, 6] (op) [N, 6, 1] -> [N, 6, 6]: both sides broadcast
      cases.push({
        name: `${op}(x, reshape(x)) broadcast to [N, 6, 6]`,
        inputShape: [3, 1, 6],
        nodes: [node('Reshape', ['x', 'shape'], 'r'), node(op, ['x', 'r'])],
        initializers: { shape: int64s([0, 6, 1]) },
        oracle: (x) => f(x, tf.reshape(x, [3, 6, 1])),
        x: away,
      });
      cases.push({
        name: `${op}(transpose(x), x)`,
        inputShape: [2, 4, 4],
        nodes: [node('Transpose', ['x'], 't', { perm: A.ints([0, 2, 1]) }), node(op, ['t', 'x'])],
        oracle: (x) => f(tf.transpose(x, [0, 2, 1]), x),
        x: away,
      });
      // x (op) ReduceSum(x, axis 2, keepdims): [N, 3, 4] with [N, 3, 1]
      cases.push({
        name: `${op}(x, reducesum(x, 2))`,
        inputShape: [2, 3, 4],
        nodes: [node('ReduceSum', ['x', 'axes'], 's', { keepdims: A.int(1) }), node(op, ['x', 's'])],
        initializers: { axes: int64s([2]) },
        oracle: (x) => f(x, tf.sum(x, 2, true)),
        x: (r, n) => r.floats(n, 0.2, 1),
      });
      // the input enters through a broadcast on the left: reducemean(x) [N, 1, 1] (op) x
      cases.push({
        name: `${op}(reducemean(x), x)`,
        inputShape: [2, 2, 3],
        nodes: [node('ReduceMean', ['x'], 'm', { axes: A.ints([1, 2]), keepdims: A.int(1) }), node(op, ['m', 'x'])],
        oracle: (x) => f(tf.mean(x, [1, 2], true), x),
        x: (r, n) => r.floats(n, 0.2, 1),
      });
    }
    cases.push({
      name: 'Sum(x, c, x) with broadcasting',
      inputShape: [2, 3, 4],
      nodes: [node('Sum', ['x', 'c', 'x'])],
      initializers: { c: floats([3, 1], [0.5, -1, 2]) },
      oracle: (x, k) => tf.addN([x, tf.broadcastTo(k.c!, [2, 3, 4]), x]),
    });
    cases.push({
      name: 'Sum(reshape(x), x) broadcast',
      inputShape: [2, 1, 3],
      nodes: [node('Reshape', ['x', 'shape'], 'r'), node('Sum', ['r', 'x'])],
      initializers: { shape: int64s([0, 3, 1]) },
      oracle: (x) => tf.add(tf.reshape(x, [2, 3, 1]), x),
    });
    cases.push({
      name: 'Pow(x, 2)', inputShape: [2, 3], nodes: [node('Pow', ['x', 'p'])], initializers: { p: floats([], [2]) }, oracle: (x) => tf.pow(x, 2),
    });
    cases.push({
      name: 'Pow(x, [1.5, 0.5, 3])', inputShape: [2, 3], nodes: [node('Pow', ['x', 'p'])], initializers: { p: floats([3], [1.5, 0.5, 3]) },
      oracle: (x, k) => tf.pow(x, k.p!), x: (r, n) => r.floats(n, 0.2, 2),
    });
    cases.push({
      name: 'Pow(x, int64 3) (integer exponent, Pow-12+)', inputShape: [2, 3], nodes: [node('Pow', ['x', 'p'])], initializers: { p: int64s([3], []) },
      oracle: (x) => tf.pow(x, 3),
    });
    const cond = [true, false, false, true, true, false];
    cases.push({
      name: 'Where(c, x, const) and Where(c, const, x)',
      inputShape: [2, 2, 3],
      nodes: [node('Where', ['cond', 'x', 'k'], 'a'), node('Where', ['cond', 'k', 'x'], 'b'), node('Mul', ['a', 'b'])],
      initializers: { cond: tensor('bool', [2, 3], cond.map(Number)), k: floats([3], [0.5, -2, 1.5]) },
      oracle: (x, k) => {
        const c = tf.broadcastTo(tf.tensor(cond, [2, 3], 'bool'), [2, 2, 3]);
        const kk = tf.broadcastTo(k.k!, [2, 2, 3]);
        return tf.mul(tf.where(c, x, kk), tf.where(c, kk, x));
      },
    });
    expect(await checkOps(cases, 3)).toEqual([]);
  });
});
