/**
 * One small classifier written in the form of each ai.onnx opset the compiler reads, 7 to 23 (7, 9, 11, 13, 16,
 * 17, 20, 21, 22, 23): the rules legalize the old forms to opset 17 (BatchNormalization's spatial attribute, Clip
 * min/max and Pad pads/value as attributes before 11, Slice bounds as attributes before 10, Squeeze/Unsqueeze/
 * ReduceSum axes as attributes before 13, ReduceMean axes as an input from 18, Dropout's ratio attribute before 12,
 * Softmax coercing its input to 2-D at `axis` before 13). Output and gradient are compared with tf.grad.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { floats, int64s } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

const OPSETS = [7, 9, 11, 13, 16, 17, 20, 21, 22, 23];

function legacyClassifier(opset: number, rng: Rng): OpCase {
  const W = rng.floats(3 * 2 * 3 * 3, -0.5, 0.5);
  const B = rng.floats(3);
  const W2 = rng.floats(4 * 9);
  const initializers = {
    W: floats([3, 2, 3, 3], W), B: floats([3], B), W2: floats([4, 9], W2),
    scale: floats([3], rng.floats(3, 0.5, 1.5)), bias: floats([3], rng.floats(3)),
    mean: floats([3], rng.floats(3, -0.2, 0.2)), var: floats([3], rng.floats(3, 0.5, 1.5)),
    lo: floats([], [-0.3]), hi: floats([], [0.4]),
    pads: int64s([0, 0, 1, 0, 0, 0, 0, 1]), padValue: floats([], [0.25]),
    starts: int64s([1, 0]), ends: int64s([4, 3]), sliceAxes: int64s([2, 3]),
    axis2: int64s([2]), axis3: int64s([3]), ratio: floats([], [0.5]),
  };
  const before = (v: number) => opset < v;
  const nodes = [
    node('Conv', ['x', 'W', 'B'], 'c', { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]) }),
    node('BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], 'bn', before(9) ? { spatial: A.int(1), epsilon: A.float(1e-3) } : { epsilon: A.float(1e-3) }),
    node('MaxPool', ['bn'], 'mp', { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) }),
    before(11)
      ? node('Clip', ['mp'], 'cl', { min: A.float(-0.3), max: A.float(0.4) })
      : node('Clip', ['mp', 'lo', 'hi'], 'cl'),
    before(11)
      ? node('Pad', ['cl'], 'pd', { pads: A.ints([0, 0, 1, 0, 0, 0, 0, 1]), value: A.float(0.25) })
      : node('Pad', ['cl', 'pads', 'padValue'], 'pd', { mode: A.string('constant') }),
    before(10)
      ? node('Slice', ['pd'], 'sl', { starts: A.ints([1, 0]), ends: A.ints([4, 3]), axes: A.ints([2, 3]) })
      : node('Slice', ['pd', 'starts', 'ends', 'sliceAxes'], 'sl'),
    node('Softmax', ['sl'], 'sm', { axis: A.int(1) }),
    before(13) ? node('Unsqueeze', ['sm'], 'us', { axes: A.ints([2]) }) : node('Unsqueeze', ['sm', 'axis2'], 'us'),
    before(13) ? node('Squeeze', ['us'], 'sq', { axes: A.ints([2]) }) : node('Squeeze', ['us', 'axis2'], 'sq'),
    before(13)
      ? node('ReduceSum', ['sq'], 'rs', { axes: A.ints([3]), keepdims: A.int(0) })
      : node('ReduceSum', ['sq', 'axis3'], 'rs', { keepdims: A.int(0) }),
    before(18)
      ? node('ReduceMean', ['rs'], 'rm', { axes: A.ints([2]), keepdims: A.int(1) })
      : node('ReduceMean', ['rs', 'axis2'], 'rm', { keepdims: A.int(1) }),
    node('Add', ['rs', 'rm'], 'a'),
    before(12) ? node('Dropout', ['a'], 'd', { ratio: A.float(0.5) }) : node('Dropout', ['a', 'ratio'], 'd'),
    node('Flatten', ['d'], 'f'),
    node('Gemm', ['f', 'W2'], 'y', { transB: A.int(1) }),
  ];
  const oracle = (x: tf.Tensor, c: Record<string, tf.Tensor>) => {
    const nhwc = tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
    const conv = tf.add(tf.conv2d(nhwc, tf.transpose(c.W!, [2, 3, 1, 0]) as tf.Tensor4D, 1, 'same'), c.B!);
    const bn = tf.add(tf.mul(tf.div(tf.sub(conv, c.mean!), tf.sqrt(tf.add(c.var!, 1e-3))), c.scale!), c.bias!);
    const mp = tf.transpose(tf.maxPool(bn as tf.Tensor4D, 2, 2, 'valid'), [0, 3, 1, 2]);
    const cl = tf.clipByValue(mp, -0.3, 0.4);
    const pd = tf.pad(cl, [[0, 0], [0, 0], [1, 0], [0, 1]], 0.25);
    const sl = tf.slice(pd, [0, 0, 1, 0], [-1, -1, 3, 3]);
    const n = x.shape[0]!;
    // before 13: normalize over [C, H, W] of each sample; from 13: over the channels
    const sm = before(13)
      ? tf.reshape(tf.softmax(tf.reshape(sl, [n, -1])), sl.shape)
      : tf.transpose(tf.softmax(tf.transpose(sl, [0, 2, 3, 1])), [0, 3, 1, 2]);
    const rs = tf.sum(sm, 3);
    const a = tf.add(rs, tf.mean(rs, 2, true));
    return tf.matMul(tf.reshape(a, [n, 9]), c.W2!, false, true);
  };
  return { name: `legacy classifier, opset ${opset}`, opset, inputShape: [2, 2, 6, 6], nodes, initializers, oracle };
}

describe('legacy opsets', () => {
  it('legalize to the same function and gradient at opsets 7 to 23', async () => {
    const rng = new Rng(91);
    expect(await checkOps(OPSETS.map((opset) => legacyClassifier(opset, rng)), 91)).toEqual([]);
  });
});
