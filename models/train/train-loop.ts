/**
 * A deterministic training loop around tfjs-layers: our own seeded shuffling each epoch, one `trainOnBatch` per
 * mini-batch, and a fresh seed for every Dropout layer before each batch (tfjs derives the dropout mask from the
 * layer's `seed`, so without this every batch would get the same mask; with it, masks vary but are reproducible).
 */
import * as tf from '@tensorflow/tfjs';
import { CLASSES, HEIGHT, PIXELS, WIDTH, type Split } from './data.js';
import { Prng } from './prng.js';
import type { Recipe } from './recipe.js';

export interface EpochLog {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
}

export interface TrainResult {
  /** Wall-clock seconds spent in training (epochs only, without the per-epoch test evaluation). */
  seconds: number;
  epochs: EpochLog[];
}

type SeededLayer = tf.layers.Layer & { seed?: number };

/** Batch of images [n, 28, 28] scaled to [0, 1] and one-hot labels [n, 10], for the given image indices. */
function batch(split: Split, indices: ArrayLike<number>): { x: tf.Tensor3D; y: tf.Tensor2D } {
  const n = indices.length;
  const xs = new Float32Array(n * PIXELS);
  const ys = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) {
    const j = indices[i]!;
    const src = split.images.subarray(j * PIXELS, (j + 1) * PIXELS);
    for (let p = 0; p < PIXELS; p++) xs[i * PIXELS + p] = src[p]! / 255;
    ys[i * CLASSES + split.labels[j]!] = 1;
  }
  return { x: tf.tensor3d(xs, [n, HEIGHT, WIDTH]), y: tf.tensor2d(ys, [n, CLASSES]) };
}

/** Fraction of a split that the model classifies correctly (inference mode). */
export function accuracy(model: tf.LayersModel, split: Split, batchSize = 1000): number {
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const n = Math.min(batchSize, split.count - start);
    const idx = Array.from({ length: n }, (_, i) => start + i);
    const predicted = tf.tidy(() => {
      const { x } = batch(split, idx);
      return (model.predict(x) as tf.Tensor).argMax(-1).dataSync();
    });
    for (let i = 0; i < n; i++) if (predicted[i] === split.labels[start + i]) correct++;
  }
  return correct / split.count;
}

export async function train(
  model: tf.LayersModel, recipe: Recipe, trainSplit: Split, testSplit: Split,
  log: (line: string) => void = console.log,
): Promise<TrainResult> {
  model.compile({
    optimizer: tf.train.adam(recipe.learningRate),
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const rng = new Prng(recipe.seed);
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout') as SeededLayer[];
  const configuredSeeds = dropouts.map((l) => l.seed);
  const epochs: EpochLog[] = [];
  let seconds = 0;
  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    const t0 = performance.now();
    const order = rng.permutation(trainSplit.count);
    let lossSum = 0;
    let accSum = 0;
    for (let start = 0; start < order.length; start += recipe.batchSize) {
      const idx = order.subarray(start, Math.min(start + recipe.batchSize, order.length));
      for (const layer of dropouts) layer.seed = rng.seed();
      const { x, y } = batch(trainSplit, idx);
      const out = await model.trainOnBatch(x, y);
      x.dispose();
      y.dispose();
      const [loss, acc] = out as number[];
      lossSum += loss! * idx.length;
      accSum += acc! * idx.length;
    }
    const epochSeconds = (performance.now() - t0) / 1000;
    seconds += epochSeconds;
    const testAccuracy = accuracy(model, testSplit);
    const entry: EpochLog = {
      epoch, loss: lossSum / order.length, trainAccuracy: accSum / order.length, testAccuracy, seconds: epochSeconds,
    };
    epochs.push(entry);
    log(`${recipe.id} epoch ${epoch}/${recipe.epochs}: loss ${entry.loss.toFixed(4)}, train ${(entry.trainAccuracy * 100).toFixed(2)}%, `
      + `test ${(testAccuracy * 100).toFixed(2)}% (tfjs), ${epochSeconds.toFixed(1)} s`);
  }
  // Put the configured seeds back so that the saved model.json does not depend on the last batch.
  dropouts.forEach((l, i) => { l.seed = configuredSeeds[i]; });
  return { seconds, epochs };
}
