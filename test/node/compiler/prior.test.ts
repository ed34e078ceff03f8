/**
 * The composed program z -> G(z) -> pixel range -> [normalization] -> classifier: its gradient with respect to z
 * equals tfjs `tf.grad` of the same composition (CPU backend), written with tfjs ops from the generator's weights
 * and the trained tfjs classifiers. Also: the composition is refused for inputs a 28x28 gray prior cannot feed.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, ModelError } from '../../../functions/compiler/index.js';
import { withNormalization } from '../../../functions/compiler/preprocess.js';
import { decodeModel, type OnnxModel } from '../../../functions/onnx/model.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import type { PriorEntry } from '../../../functions/registry/priors.js';
import { loadLayersModel } from '../../../models/train/tfjs-files.js';
import { MODELS_DIR, MODEL_IDS } from '../models/paths.js';
import { TOLERANCE, relError } from '../helpers/oracle.js';
import { Rng } from '../helpers/random.js';

const N = 4;
const CLASSES = 10;
const priors = (JSON.parse(readFileSync(`${MODELS_DIR}priors/manifest.json`, 'utf8')) as { priors: PriorEntry[] }).priors;

/** G as tfjs ops, from the ONNX file's weights: Dense layers (MatMul + Add, Relu / Sigmoid) and a Reshape. */
function generatorOf(g: OnnxModel): (z: tf.Tensor) => tf.Tensor {
  const value = (name: string) => {
    const t = g.graph.initializers.get(name)!;
    return tf.tensor(t.data as Float32Array, t.dims, 'float32');
  };
  return (z) => {
    const env = new Map<string, tf.Tensor>([[g.graph.inputs[0]!.name, z]]);
    const get = (name: string) => env.get(name) ?? value(name);
    for (const n of g.graph.nodes) {
      const [a, b] = n.inputs;
      const out = n.opType === 'MatMul' ? tf.matMul(get(a!), get(b!))
        : n.opType === 'Add' ? tf.add(get(a!), get(b!))
          : n.opType === 'Relu' ? tf.relu(get(a!))
            : n.opType === 'Sigmoid' ? tf.sigmoid(get(a!))
              : n.opType === 'Reshape' ? tf.reshape(get(a!), [-1, 28, 28])
                : undefined;
      if (!out) throw new Error(`the test's generator does not know ${n.opType}`);
      env.set(n.outputs[0]!, out);
    }
    return env.get(g.graph.outputs[0]!.name)!;
  };
}

/** The pre-softmax scores of a tfjs Sequential classifier. */
function logitsOf(model: tf.LayersModel, x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of model.layers.slice(0, -1)) h = layer.apply(h, { training: false }) as tf.Tensor;
  const [kernel, bias] = model.layers.at(-1)!.getWeights();
  return tf.add(tf.matMul(h, kernel!), bias!);
}

async function programGrad(model: OnnxModel, generator: Uint8Array, z: Float32Array, w: Float32Array, latent: number, range: { min: number; max: number }): Promise<Float32Array> {
  const ort = await loadOrt();
  const program = compileGradient(model, { prior: { generator, ...range, generatorMin: 0, generatorMax: 1 } });
  expect(program.input.shape.slice(1)).toEqual([latent]);
  const session = await ort.InferenceSession.create(encodeProgram(program), { logSeverityLevel: 3 });
  const out = await session.run({
    [program.input.name]: new ort.Tensor('float32', z, [N, latent]),
    [program.weights]: new ort.Tensor('float32', w, [N, CLASSES]),
  });
  await session.release();
  return out[program.outputs.grad]!.data as Float32Array;
}

describe('gradient through a prior = tfjs tf.grad of the same composition', () => {
  beforeAll(async () => { await tf.setBackend('cpu'); });
  const w = new Float32Array(N * CLASSES);
  for (let i = 0; i < N; i++) w[i * CLASSES + ((i * 3 + 1) % CLASSES)] = 1;
  w[(N - 1) * CLASSES + 2] = -1; // a contrast on the last row

  for (const prior of priors) {
    for (const id of MODEL_IDS) {
      it(`prior ${prior.id} -> ${id}`, async () => {
        const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}priors/${prior.file}`));
        const G = generatorOf(decodeModel(bytes));
        const random = new Rng(7);
        const z = Float32Array.from({ length: N * prior.input.latent }, () => 2 * random.next() - 1);
        const classifier = await loadLayersModel(`${MODELS_DIR}tfjs/${id}`);
        const expected = tf.tidy(() => {
          const wt = tf.tensor2d(w, [N, CLASSES]);
          return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(wt, logitsOf(classifier, G(v)))))(tf.tensor2d(z, [N, prior.input.latent])).dataSync() as Float32Array;
        });
        const model = decodeModel(new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`)));
        const { error, index } = relError(await programGrad(model, bytes, z, w, prior.input.latent, { min: 0, max: 1 }), expected);
        classifier.dispose();
        expect(error, `worst element ${index}`).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it('through a pixel range of 0..255 and a normalization (an upload\'s description)', async () => {
    const prior = priors[0]!;
    const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}priors/${prior.file}`));
    const G = generatorOf(decodeModel(bytes));
    const random = new Rng(11);
    const z = Float32Array.from({ length: N * prior.input.latent }, () => 2 * random.next() - 1);
    const classifier = await loadLayersModel(`${MODELS_DIR}tfjs/fashion-mlp`);
    // the model as uploaded with min=0, max=255, mean=127.5, std=255: it sees (x - 127.5) / 255
    const expected = tf.tidy(() => {
      const wt = tf.tensor2d(w, [N, CLASSES]);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(wt, logitsOf(classifier, tf.div(tf.sub(tf.mul(G(v), 255), 127.5), 255))));
      return tf.grad(f)(tf.tensor2d(z, [N, prior.input.latent])).dataSync() as Float32Array;
    });
    const source = decodeModel(new Uint8Array(readFileSync(`${MODELS_DIR}fashion-mlp.onnx`)));
    const normalized = withNormalization(source, 'input', { mean: [127.5], std: [255], channelAxis: 1, rank: 3 });
    const { error, index } = relError(await programGrad(normalized, bytes, z, w, prior.input.latent, { min: 0, max: 255 }), expected);
    classifier.dispose();
    expect(error, `worst element ${index}`).toBeLessThanOrEqual(TOLERANCE);
  });

  it('refuses a model whose input a 28x28 gray image cannot feed', () => {
    const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}priors/${priors[0]!.file}`));
    const model = decodeModel(new Uint8Array(readFileSync(`${MODELS_DIR}fashion-mlp.onnx`)));
    const rgb: OnnxModel = { ...model, graph: { ...model.graph, inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 3, 28, 28] }] } };
    expect(() => compileGradient(rgb, { prior: { generator: bytes, min: 0, max: 1, generatorMin: 0, generatorMax: 1 } }))
      .toThrow(ModelError);
    expect(() => compileGradient(rgb, { prior: { generator: bytes, min: 0, max: 1, generatorMin: 0, generatorMax: 1 } }))
      .toThrow(/28x28 single-channel images; the model's input "input" takes \[3, 28, 28\]/);
  });
});
