/**
 * Each attribution method against an independent computation of its definition:
 *   gradient    = central finite differences of the class score along random directions (the product never uses
 *                 finite differences; only this test does), at points where the score is differentiable: test
 *                 images plus seeded noise of up to 2 % of the range. On the plain images the constant black
 *                 background makes tied max-pool candidates, where only one-sided derivatives exist (the
 *                 compiled gradient, like tf.grad, takes the first of the tied elements);
 *   gradxinput  = gradient * (x - baseline), elementwise;
 *   smoothgrad  = the mean of the gradients at the seeded noisy copies, each computed on its own;
 *   integrated  = the trapezoid sum written out point by point, and completeness below 1 % at the default 256
 *                 points for the first test image of each class on both models;
 *   gradcam     = Grad-CAM written with tfjs on the trained tfjs model (tf.grad at the conv layer's output,
 *                 global-average-pooled weights, ReLU, tf.image.resizeBilinear with half-pixel centres).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseline } from '../../../functions/attribution/index.js';
import { rng } from '../../../functions/engine/prng.js';
import type { GradientRunner } from '../../../functions/engine/runner.js';
import { loadLayersModel } from '../../../models/train/tfjs-files.js';
import { MODELS_DIR } from '../models/paths.js';
import { relError, tfCpu } from '../helpers/oracle.js';
import { Rng } from '../helpers/random.js';
import { DEFAULTS, LAYOUT, RANGE, TEN_IMAGES, explain, modelBytes, oneHot, runnerFor, testImage } from '../helpers/attribution.js';

const runners: Record<string, GradientRunner> = {};
beforeAll(async () => {
  for (const id of ['fashion-mlp', 'fashion-cnn']) runners[id] = await runnerFor(modelBytes(id));
  runners.cam = await runnerFor(modelBytes('fashion-cnn'), 'gradcam');
});

const score = async (r: GradientRunner, x: Float32Array, k: number) => (await r.run(x, 1, oneHot(k))).objective[0]!;

describe.each(['fashion-mlp', 'fashion-cnn'])('%s', (id) => {
  it('gradient = central finite differences of the class score along random directions', async () => {
    const runner = runners[id]!;
    const random = new Rng(13);
    const h = 1e-3;
    const errors: number[] = [];
    for (const i of TEN_IMAGES.slice(0, 5)) {
      const image = testImage(i);
      const label = image.label;
      const x = Float32Array.from(image.x, (v) => v + 0.02 * random.next());
      const g = (await explain(runner, x, label, { method: 'gradient' })).values;
      for (let d = 0; d < 4; d++) {
        // a random unit direction
        const v = Float32Array.from({ length: 784 }, () => random.uniform(-1, 1));
        const norm = Math.hypot(...v);
        for (let j = 0; j < 784; j++) v[j]! /= norm;
        const plus = Float32Array.from(x, (xi, j) => xi + h * v[j]!);
        const minus = Float32Array.from(x, (xi, j) => xi - h * v[j]!);
        const fd = (await score(runner, plus, label) - await score(runner, minus, label)) / (2 * h);
        let directional = 0;
        for (let j = 0; j < 784; j++) directional += g[j]! * v[j]!;
        let gnorm = 0;
        for (let j = 0; j < 784; j++) gnorm += g[j]! ** 2;
        // measured against |grad| (the largest directional derivative): float32 scores differ in the 6th digit
        errors.push(Math.abs(fd - directional) / Math.sqrt(gnorm));
      }
    }
    expect(Math.max(...errors), errors.map((e) => e.toExponential(1)).join(' ')).toBeLessThan(3e-3);
  });

  it('gradxinput = gradient x (input - baseline) for every baseline', async () => {
    const runner = runners[id]!;
    const { x, label } = testImage(300);
    const g = (await explain(runner, x, label, { method: 'gradient' })).values;
    for (const name of ['black', 'gray', 'blur', 'uniform'] as const) {
      const b = baseline(name, LAYOUT, RANGE, x, DEFAULTS.seed);
      const a = (await explain(runner, x, label, { method: 'gradxinput', baseline: name })).values;
      expect(relError(a, Float32Array.from(g, (gi, j) => gi * (x[j]! - b[j]!))).error, name).toBeLessThan(1e-6);
    }
  });

  it('smoothgrad = mean gradient over the seeded noisy copies, each run on its own', async () => {
    const runner = runners[id]!;
    const { x, label } = testImage(500);
    const n = 8;
    const a = await explain(runner, x, label, { method: 'smoothgrad', n, seed: 5 });
    // the same noise: mulberry32 seeded as smoothgrad.ts does, N(0, (0.15 * range)^2) per element
    const random = rng(5 ^ 0x5300);
    const mean = new Float32Array(784);
    for (let s = 0; s < n; s++) {
      const noisy = Float32Array.from(x, (xi) => xi + 0.15 * random.normal());
      const g = (await explain(runner, noisy, label, { method: 'gradient' })).values;
      for (let j = 0; j < 784; j++) mean[j]! += g[j]! / n;
    }
    expect(relError(a.values, mean).error).toBeLessThan(1e-5);
    expect(a.rows).toBe(n + 1);
  });

  it('integrated = the trapezoid sum point by point; completeness below 1 % at the default steps on 10 test images', async () => {
    const runner = runners[id]!;
    const { x, label } = testImage(700);
    const steps = 9;
    const a = await explain(runner, x, label, { method: 'integrated', steps, baseline: 'gray' });
    const sum = new Float64Array(784);
    for (let j = 0; j < steps; j++) {
      const t = j / (steps - 1);
      const g = (await explain(runner, Float32Array.from(x, (xi) => 0.5 + t * (xi - 0.5)), label, { method: 'gradient' })).values;
      const w = (j === 0 || j === steps - 1 ? 0.5 : 1) / (steps - 1);
      for (let i = 0; i < 784; i++) sum[i]! += w * g[i]! * (x[i]! - 0.5);
    }
    expect(relError(a.values, Float32Array.from(sum)).error).toBeLessThan(1e-5);

    const relative: number[] = [];
    for (const i of TEN_IMAGES) {
      const img = testImage(i);
      const c = (await explain(runner, img.x, img.label, { method: 'integrated' })).completeness!;
      expect(c.fInput).toBeCloseTo(await score(runner, img.x, img.label), 4);
      expect(c.fBaseline).toBeCloseTo(await score(runner, new Float32Array(784), img.label), 4);
      relative.push(c.relative);
    }
    expect(Math.max(...relative), relative.map((r) => r.toFixed(4)).join(' ')).toBeLessThan(0.01);
  });
});

describe('gradcam', () => {
  it('= Grad-CAM written with tfjs on the trained model (conv2d layer, upsampled bilinearly)', async () => {
    await tfCpu();
    const model = await loadLayersModel(`${MODELS_DIR}tfjs/fashion-cnn`);
    for (const i of [100, 500, 800]) {
      const { x, label } = testImage(i);
      const ours = await explain(runners.cam!, x, label, { method: 'gradcam' });
      expect(ours.cam!.layer).toBe('conv2d/Relu');
      const expected = tf.tidy(() => {
        const layers = model.layers;
        const a = layers[1]!.apply(layers[0]!.apply(tf.tensor3d(x, [1, 28, 28]))) as tf.Tensor4D;
        const logit = (v: tf.Tensor) => {
          let h = v;
          for (const l of layers.slice(2, -1)) h = l.apply(h, { training: false }) as tf.Tensor;
          const [kernel, bias] = layers.at(-1)!.getWeights();
          return tf.add(tf.matMul(h, kernel!), bias!).slice([0, label], [1, 1]).sum();
        };
        const alpha = tf.mean(tf.grad(logit)(a), [1, 2], true);
        const cam = tf.relu(tf.sum(tf.mul(a, alpha), 3, true)) as tf.Tensor4D;
        return tf.image.resizeBilinear(cam, [28, 28], false, true).dataSync() as Float32Array;
      });
      expect(relError(ours.values, expected).error, `test image ${i}`).toBeLessThan(1e-4);
    }
    model.dispose();
  });

  it('refuses a model without a spatial layer: the MLP has no convolution', async () => {
    const { lastConvolution } = await import('../../../functions/compiler/index.js');
    expect(lastConvolution(modelBytes('fashion-mlp'))).toBeUndefined();
  });
});
