/**
 * The multilayer perceptron of the well-known Keras Fashion-MNIST example:
 *   Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax)
 * with Keras's defaults (Glorot-uniform kernels, zero biases), seeded so that every run starts from the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASSES, HEIGHT, WIDTH } from './data.js';
import type { Recipe } from './recipe.js';

export const MLP_RECIPE: Recipe = {
  id: 'fashion-mlp',
  title: 'Fashion-MNIST MLP (the Keras tutorial model)',
  architecture: 'Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax)',
  epochs: 10,
  batchSize: 32,
  optimizer: 'adam',
  learningRate: 0.001,
  seed: 1001,
};

export function buildMlp(seed: number): tf.Sequential {
  return tf.sequential({
    name: 'fashion_mlp',
    layers: [
      tf.layers.flatten({ inputShape: [HEIGHT, WIDTH], name: 'flatten' }),
      tf.layers.dense({
        units: 128, activation: 'relu', name: 'dense',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: 'zeros',
      }),
      tf.layers.dense({
        units: CLASSES, activation: 'softmax', name: 'dense_1',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), biasInitializer: 'zeros',
      }),
    ],
  });
}
