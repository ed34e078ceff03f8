/**
 * The exported ONNX files compute the same function as the trained tfjs models they came from:
 * tfjs (CPU backend, loaded from models/tfjs/) against onnxruntime-web on 100 test images (10 per class).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLASSES, HEIGHT, TEST_PER_CLASS, WIDTH, loadTestSplit, toFloats } from '../../../models/train/data.js';
import { loadLayersModel } from '../../../models/train/tfjs-files.js';
import { MODELS_DIR, MODEL_IDS } from './paths.js';

ort.env.wasm.numThreads = 1;

const PER_CLASS = 10;
const N = CLASSES * PER_CLASS;

function probeImages(): Float32Array {
  const test = loadTestSplit();
  const x = new Float32Array(N * HEIGHT * WIDTH);
  for (let c = 0; c < CLASSES; c++) x.set(toFloats(test, c * TEST_PER_CLASS, PER_CLASS), c * PER_CLASS * HEIGHT * WIDTH);
  return x;
}

describe('ONNX export matches the tfjs model', () => {
  let x: Float32Array;
  beforeAll(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    x = probeImages();
  });

  for (const id of MODEL_IDS) {
    it(`${id}: max |p_onnx - p_tfjs| <= 1e-5 on ${N} test images`, async () => {
      const model = await loadLayersModel(`${MODELS_DIR}tfjs/${id}`);
      const expected = tf.tidy(() => (model.predict(tf.tensor3d(x, [N, HEIGHT, WIDTH])) as tf.Tensor).dataSync());
      model.dispose();

      const session = await ort.InferenceSession.create(readFileSync(`${MODELS_DIR}${id}.onnx`));
      const out = await session.run({ input: new ort.Tensor('float32', x, [N, HEIGHT, WIDTH]) });
      await session.release();
      const probs = out['probabilities'];
      expect(probs?.dims).toEqual([N, CLASSES]);
      const actual = probs!.data as Float32Array;

      let maxDiff = 0;
      for (let i = 0; i < actual.length; i++) maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      // Rows are probability distributions.
      for (let r = 0; r < N; r++) {
        let sum = 0;
        for (let c = 0; c < CLASSES; c++) sum += actual[r * CLASSES + c]!;
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
    });
  }
});
