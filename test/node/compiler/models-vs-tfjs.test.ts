/**
 * End to end: for both of Ascent's models, the compiled gradient program gives the same gradient as tfjs
 * `tf.grad` on the trained tfjs model it was exported from (CPU backend), for the logit, logprob and prob targets,
 * on real test images with a different class per row.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram } from '../../../functions/compiler/index.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { CLASSES, HEIGHT, TEST_PER_CLASS, WIDTH, loadTestSplit, toFloats } from '../../../models/train/data.js';
import { loadLayersModel } from '../../../models/train/tfjs-files.js';
import { MODELS_DIR, MODEL_IDS } from '../models/paths.js';
import { TOLERANCE, relError } from '../helpers/oracle.js';

const N = 8;

/** The pre-softmax scores of a tfjs Sequential model: every layer in inference mode, then the last Dense without its activation. */
function logitsOf(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  let h = x;
  const layers = model.layers;
  for (const layer of layers.slice(0, -1)) h = layer.apply(h, { training: false }) as tf.Tensor;
  const [kernel, bias] = layers.at(-1)!.getWeights();
  return tf.add(tf.matMul(h, kernel!), bias!);
}

describe('compiled gradient = tfjs tf.grad on the trained models', () => {
  let x: Float32Array;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const test = loadTestSplit();
    x = new Float32Array(N * HEIGHT * WIDTH);
    for (let i = 0; i < N; i++) x.set(toFloats(test, (i % CLASSES) * TEST_PER_CLASS + i, 1), i * HEIGHT * WIDTH);
  });

  for (const id of MODEL_IDS) {
    it.each(['logit', 'logprob', 'prob'] as const)(`${id}, target %s`, async (target) => {
      const model = await loadLayersModel(`${MODELS_DIR}tfjs/${id}`);
      // a different class per row, and a contrast on the last row
      const w = new Float32Array(N * CLASSES);
      for (let i = 0; i < N; i++) w[i * CLASSES + ((i * 3) % CLASSES)] = 1;
      w[(N - 1) * CLASSES + 1] = -1;
      const expected = tf.tidy(() => {
        const wt = tf.tensor2d(w, [N, CLASSES]);
        const f = (v: tf.Tensor) => {
          const z = logitsOf(model, v);
          const t = target === 'logit' ? z : target === 'logprob' ? tf.logSoftmax(z) : tf.softmax(z);
          return tf.sum(tf.mul(wt, t));
        };
        return tf.grad(f)(tf.tensor3d(x, [N, HEIGHT, WIDTH])).dataSync() as Float32Array;
      });
      model.dispose();

      const ort = await loadOrt();
      const program = compileGradient(new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`)), { target });
      const session = await ort.InferenceSession.create(encodeProgram(program), { logSeverityLevel: 3 });
      const out = await session.run({
        [program.input.name]: new ort.Tensor('float32', x, [N, HEIGHT, WIDTH]),
        [program.weights]: new ort.Tensor('float32', w, [N, CLASSES]),
      });
      const { error, index } = relError(out[program.outputs.grad]!.data as Float32Array, expected);
      expect(error, `worst element ${index}`).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});
