/**
 * Gradients of Softmax and LogSoftmax (functions/compiler/ops/softmax.ts) against tf.grad, on every axis, with
 * opset 13 semantics (normalize along one axis) and opset 11 semantics (coerce to 2-D at `axis`, normalize each
 * row). A constant Mul follows the op so that the compiler's "logit" target (which looks through a final
 * Softmax to its input) is the op's output itself.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { floats } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** softmax / log-softmax along axis `a` (tfjs normalizes the last axis: move `a` there and back). */
function alongAxis(f: (t: tf.Tensor) => tf.Tensor, x: tf.Tensor, a: number): tf.Tensor {
  const r = x.rank;
  if (a === r - 1) return f(x);
  const perm = [...Array(r).keys()].filter((i) => i !== a).concat([a]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return tf.transpose(f(tf.transpose(x, perm)), inverse);
}

/** Opset < 13: flatten to [prod(d[:a]), prod(d[a:])], normalize rows, restore the shape. */
function coerced(f: (t: tf.Tensor) => tf.Tensor, x: tf.Tensor, a: number): tf.Tensor {
  return tf.reshape(f(tf.reshape(x, [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))])), x.shape);
}

describe('Softmax and LogSoftmax', () => {
  it('match tf.grad on every axis, opset 13 and opset 11 semantics', async () => {
    const rng = new Rng(41);
    const cases: OpCase[] = [];
    const softmax = (t: tf.Tensor) => tf.softmax(t);
    const logSoftmax = (t: tf.Tensor) => tf.logSoftmax(t);
    for (let t = 0; t < 6; t++) {
      const rank = rng.int(2, 4);
      const s = [rng.int(1, 3), ...Array.from({ length: rank - 1 }, () => rng.int(2, 4))];
      const scale = rng.floats(prod(s.slice(1)), 0.5, 2);
      const scaleShape = s.slice(1);
      for (const op of ['Softmax', 'LogSoftmax']) {
        const f = op === 'Softmax' ? softmax : logSoftmax;
        for (const opset of [11, 13]) {
          for (let axis = -rank; axis < rank; axis++) {
            const a = axis < 0 ? axis + rank : axis;
            cases.push({
              name: `${op}(axis=${axis}) opset ${opset} x[${s}]`,
              inputShape: s,
              opset,
              nodes: [node(op, ['x'], 's', { axis: A.int(axis) }), node('Mul', ['s', 'scale'])],
              initializers: { scale: floats(scaleShape, scale) },
              oracle: (x, c) => tf.mul(opset >= 13 ? alongAxis(f, x, a) : coerced(f, x, a), c.scale!),
              x: (r, n) => r.floats(n, -2, 2),
            });
          }
          // the default axis: 1 before opset 13, -1 from 13 on
          cases.push({
            name: `${op}() default axis opset ${opset} x[${s}]`,
            inputShape: s,
            opset,
            nodes: [node(op, ['x'], 's'), node('Mul', ['s', 'scale'])],
            initializers: { scale: floats(scaleShape, scale) },
            oracle: (x, c) => tf.mul(opset >= 13 ? alongAxis(f, x, rank - 1) : coerced(f, x, 1), c.scale!),
            x: (r, n) => r.floats(n, -2, 2),
          });
        }
      }
    }
    cases.push({
      name: 'Softmax opset 7, axis 1 of [N, 3, 4] (legacy coercion)',
      inputShape: [2, 3, 4],
      opset: 7,
      nodes: [node('Softmax', ['x'], 's', { axis: A.int(1) }), node('Mul', ['s', 'scale'])],
      initializers: { scale: floats([], [3]) },
      oracle: (x, c) => tf.mul(coerced(softmax, x, 1), c.scale!),
    });
    expect(await checkOps(cases, 41)).toEqual([]);
  });
});
