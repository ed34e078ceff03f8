/**
 * Gradients of BatchNormalization in inference mode (functions/compiler/ops/normalization.ts) against tf.grad:
 * [N, C], [N, C, L] and [N, C, H, W] inputs, epsilon, the opset 7/9/14/15 forms (legacy attributes, unused
 * training outputs) and parameters that are not initializers (computed at run time).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A, type Attr } from '../../../../functions/onnx/model.js';
import { floats } from '../../../../functions/onnx/tensor.js';
import { compileGradient, CompileError } from '../../../../functions/compiler/index.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node, opModel } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

/** y = (x - mean) / sqrt(var + eps) * scale + bias, per channel (axis 1). */
function referenceBatchNorm(x: tf.Tensor, c: Record<string, tf.Tensor>, eps: number): tf.Tensor {
  const perChannel = (t: tf.Tensor) => tf.reshape(t, [-1, ...Array<number>(x.rank - 2).fill(1)]);
  const normalized = tf.div(tf.sub(x, perChannel(c.mean!)), tf.sqrt(tf.add(perChannel(c.var!), eps)));
  return tf.add(tf.mul(normalized, perChannel(c.scale!)), perChannel(c.bias!));
}

function parameters(rng: Rng, channels: number) {
  return {
    scale: floats([channels], rng.signedAway(channels, 0.2, 2)),
    bias: floats([channels], rng.floats(channels)),
    mean: floats([channels], rng.floats(channels)),
    var: floats([channels], rng.floats(channels, 0.05, 2)),
  };
}

describe('BatchNormalization', () => {
  it('matches tf.grad in inference mode over shapes, epsilons and opsets', async () => {
    const rng = new Rng(81);
    const cases: OpCase[] = [];
    const forms: { opset: number; attrs: Record<string, Attr>; outputs: number; label: string }[] = [
      { opset: 17, attrs: {}, outputs: 1, label: 'opset 17' },
      { opset: 15, attrs: { training_mode: A.int(0), momentum: A.float(0.9) }, outputs: 1, label: 'opset 15 training_mode=0' },
      { opset: 14, attrs: {}, outputs: 1, label: 'opset 14' },
      { opset: 9, attrs: { momentum: A.float(0.99) }, outputs: 5, label: 'opset 9 with unused training outputs' },
      { opset: 7, attrs: { spatial: A.int(1), momentum: A.float(0.9) }, outputs: 1, label: 'opset 7 spatial=1' },
      { opset: 7, attrs: { spatial: A.int(1) }, outputs: 5, label: 'opset 7 spatial=1 with unused training outputs' },
    ];
    for (const spatial of [[], [5], [3, 4], [2, 3]]) {
      for (const form of forms) {
        const channels = rng.int(1, 4);
        const eps = rng.pick([1e-5, 1e-3, 0.1]);
        const inputShape = [rng.int(1, 3), channels, ...spatial];
        const outputs = ['y', ...Array.from({ length: form.outputs - 1 }, (_, i) => `unused_${i}`)];
        cases.push({
          name: `BatchNormalization x[${inputShape}] eps=${eps} ${form.label}`,
          inputShape,
          opset: form.opset,
          nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], outputs, { epsilon: A.float(eps), ...form.attrs })],
          initializers: parameters(rng, channels),
          oracle: (x, c) => referenceBatchNorm(x, c, eps),
        });
      }
    }
    // scale and variance computed at run time (not initializers): the factor is built in the graph
    cases.push({
      name: 'BatchNormalization with computed scale and variance',
      inputShape: [2, 3, 2, 2],
      nodes: [
        node('Identity', ['scale0'], 'scale'),
        node('Abs', ['var0'], 'var'),
        node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], 'y', { epsilon: A.float(1e-3) }),
      ],
      initializers: (() => {
        const p = parameters(rng, 3);
        return { scale0: p.scale, bias: p.bias, mean: p.mean, var0: p.var };
      })(),
      oracle: (x, c) => referenceBatchNorm(x, { ...c, scale: c.scale0!, var: tf.abs(c.var0!) }, 1e-3),
    });
    expect(await checkOps(cases, 81)).toEqual([]);
  });

  it('refuses training mode and per-activation statistics (spatial=0) with a CompileError', () => {
    const rng = new Rng(82);
    const graph = (opset: number, attrs: Record<string, Attr>, outputs: string[]) => opModel({
      inputShape: [2, 3, 2, 2],
      opset,
      nodes: [node('BatchNormalization', ['x', 'scale', 'bias', 'mean', 'var'], outputs, attrs, 'bn')],
      initializers: parameters(rng, 3),
    });
    expect(() => compileGradient(graph(15, { training_mode: A.int(1) }, ['y']))).toThrow(CompileError);
    expect(() => compileGradient(graph(15, { training_mode: A.int(1) }, ['y']))).toThrow(/"bn" \(BatchNormalization\).*training_mode=1/);
    for (const outputs of [['y'], ['y', 'm', 'v', 'sm', 'sv']]) {
      expect(() => compileGradient(graph(7, { spatial: A.int(0) }, outputs))).toThrow(/"bn" \(BatchNormalization\).*spatial=0/);
    }
  });
});
