/**
 * A small convolutional network:
 *   Conv2D(32, 3x3, relu, he_normal) -> MaxPool(2x2) -> Dropout(0.2) -> Flatten -> Dense(128, relu)
 *   -> BatchNormalization -> Dropout(0.25) -> Dense(10, softmax)
 * The model takes [N, 28, 28] like the MLP; a Reshape layer adds the channel axis (NHWC, as tfjs and Keras use).
 * Initializers are seeded; the Dropout layers get a fresh seed before every batch from the training loop.
 */
import * as tf from '@tensorflow/tfjs';
import { CLASSES, HEIGHT, WIDTH } from './data.js';
import type { Recipe } from './recipe.js';

export const CNN_RECIPE: Recipe = {
  id: 'fashion-cnn',
  title: 'Fashion-MNIST CNN (Conv32, BatchNorm, Dropout)',
  architecture:
    'Conv2D(32, 3x3, relu, he_normal) -> MaxPool(2x2) -> Dropout(0.2) -> Flatten -> Dense(128, relu) -> BatchNormalization -> Dropout(0.25) -> Dense(10, softmax)',
  epochs: 12,
  batchSize: 64,
  optimizer: 'adam',
  learningRate: 0.001,
  seed: 2002,
};

export function buildCnn(seed: number): tf.Sequential {
  return tf.sequential({
    name: 'fashion_cnn',
    layers: [
      tf.layers.reshape({ inputShape: [HEIGHT, WIDTH], targetShape: [HEIGHT, WIDTH, 1], name: 'reshape' }),
      tf.layers.conv2d({
        filters: 32, kernelSize: 3, activation: 'relu', name: 'conv2d',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }), biasInitializer: 'zeros',
      }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'max_pooling2d' }),
      tf.layers.dropout({ rate: 0.2, seed: seed + 2, name: 'dropout' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({
        units: 128, activation: 'relu', name: 'dense',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }), biasInitializer: 'zeros',
      }),
      tf.layers.batchNormalization({ name: 'batch_normalization' }),
      tf.layers.dropout({ rate: 0.25, seed: seed + 4, name: 'dropout_1' }),
      tf.layers.dense({
        units: CLASSES, activation: 'softmax', name: 'dense_1',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }), biasInitializer: 'zeros',
      }),
    ],
  });
}
