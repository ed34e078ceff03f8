/**
 * The kernels models/train/wasm-fixes.ts adds to the tfjs wasm backend agree with the CPU backend:
 * Conv2DBackpropFilter (via the conv2d filter gradient), BatchMatMul with transpose flags, and MaxPoolGrad.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from '../../../models/train/wasm-fixes.js';

type Data = number[] | number[][] | number[][][] | number[][][][];

/** Runs `f` on the CPU backend and on the fixed wasm backend with the same inputs; returns the max abs diff. */
async function compare(inputs: Data[], f: (...xs: tf.Tensor[]) => tf.Tensor): Promise<{ diff: number; scale: number }> {
  const run = () => tf.tidy(() => Array.from(f(...inputs.map((x) => tf.tensor(x))).dataSync()));
  await tf.setBackend('cpu');
  const expected = run();
  await useWasmBackend();
  const actual = run();
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { diff, scale };
}

function random(shape: number[], seed: number): Data {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).arraySync() as Data);
}

describe('tfjs wasm backend fixes', () => {
  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });
  // the next test file in this process finds tfjs as the others leave it
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('conv2d filter gradient (valid and same padding, strides 1 and 2, 3 input channels)', async () => {
    for (const [pad, stride, seed] of [['valid', 1, 1], ['same', 2, 2]] as const) {
      const x = random([3, 9, 8, 3], seed);
      const filter = random([3, 3, 3, 5], seed + 10);
      const { diff, scale } = await compare([x, filter], (xt, ft) => {
        const y = tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, stride, pad);
        const weights = tf.randomNormal(y.shape, 0, 1, 'float32', seed + 20);
        return tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xt as tf.Tensor4D, f as tf.Tensor4D, stride, pad), weights)))(ft!);
      });
      expect(scale).toBeGreaterThan(1);
      expect(diff / scale).toBeLessThan(1e-5);
    }
  });

  it('matMul with every combination of transpose flags', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = random(ta ? [2, 6, 4] : [2, 4, 6], 3);
      const b = random(tb ? [2, 5, 6] : [2, 6, 5], 4);
      const { diff, scale } = await compare([a, b], (at, bt) => tf.matMul(at as tf.Tensor3D, bt as tf.Tensor3D, ta, tb));
      expect(diff / scale).toBeLessThan(1e-6);
    }
  });

  it('max-pool gradient (2x2 stride 2 valid, 3x2 stride 2 same)', async () => {
    const x = random([2, 7, 6, 4], 5);
    for (const [size, pad] of [[[2, 2], 'valid'], [[3, 2], 'same']] as const) {
      const { diff } = await compare([x], (xt) => {
        const y = tf.maxPool(xt as tf.Tensor4D, [size[0], size[1]], 2, pad);
        const weights = tf.randomNormal(y.shape, 0, 1, 'float32', 7);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, [size[0], size[1]], 2, pad), weights)))(xt!);
      });
      expect(diff).toBeLessThan(1e-6);
    }
  });
});
