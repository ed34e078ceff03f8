/**
 * Gradients with respect to named intermediate tensors (CompileOptions.wrt) against tfjs `tf.grad`: on the trained
 * fashion-cnn (the convolution's output before and after its ReLU, which the max-pool rewrite would otherwise
 * touch, and the dense layer's output) for three targets, and on small graphs (a tensor read by two nodes gets the
 * sum of both contributions). Tensors the objective does not depend on are refused with a message naming them.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, ModelError, type GradientProgram } from '../../../functions/compiler/index.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { fileSamples } from '../../../functions/hosts/node/registry.js';
import { floats } from '../../../functions/onnx/tensor.js';
import { loadLayersModel } from '../../../models/train/tfjs-files.js';
import { MODELS_DIR } from '../models/paths.js';
import { TOLERANCE, relError, tfCpu } from '../helpers/oracle.js';
import { node, opModel } from '../helpers/op-graph.js';
import { Rng } from '../helpers/random.js';

const N = 6;
const CLASSES = 10;

/** Runs a program; its fetched outputs by name. */
async function run(p: GradientProgram, x: Float32Array, xShape: number[], w: Float32Array): Promise<Record<string, Float32Array>> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(encodeProgram(p), { logSeverityLevel: 3 });
  try {
    const out = await session.run({
      [p.input.name]: new ort.Tensor('float32', x, xShape),
      [p.weights]: new ort.Tensor('float32', w, [w.length / p.units, p.units]),
    });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** NHWC (tfjs) -> NCHW (ONNX). */
const toNchw = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);

describe('gradient with respect to an intermediate tensor = tf.grad', () => {
  let x: Float32Array;
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tfCpu();
    const s = fileSamples();
    x = new Float32Array(N * 784);
    for (let i = 0; i < N; i++) for (let p = 0; p < 784; p++) x[i * 784 + p] = s.pixels[(i * 97) * 784 + p]! / 255;
    model = await loadLayersModel(`${MODELS_DIR}tfjs/fashion-cnn`);
  });

  // fashion-cnn in tfjs: reshape, conv2d (relu), max_pooling2d, dropout, flatten, dense (relu), batch_normalization, dropout, dense_1
  const layersFrom = (from: number, h: tf.Tensor, upTo?: number) => {
    const layers = model.layers.slice(0, -1);
    for (const l of layers.slice(from, upTo)) h = l.apply(h, { training: false }) as tf.Tensor;
    return h;
  };
  const logits = (h: tf.Tensor) => {
    const [kernel, bias] = model.layers.at(-1)!.getWeights();
    return tf.add(tf.matMul(h, kernel!), bias!);
  };
  // each case: the ONNX tensor, its value computed in tfjs (ONNX layout), and the rest of the network from it
  const cases: { tensor: string; value: (x: tf.Tensor) => tf.Tensor; rest: (a: tf.Tensor) => tf.Tensor }[] = [
    {
      tensor: 'conv2d/Relu',
      value: (v) => toNchw(layersFrom(0, v, 2)),
      rest: (a) => logits(layersFrom(2, tf.transpose(a, [0, 2, 3, 1]))),
    },
    {
      tensor: 'conv2d/Conv2D',
      value: (v) => {
        const [kernel, bias] = model.layers[1]!.getWeights();
        return toNchw(tf.add(tf.conv2d(layersFrom(0, v, 1) as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias!));
      },
      rest: (a) => logits(layersFrom(2, tf.relu(tf.transpose(a, [0, 2, 3, 1])))),
    },
    { tensor: 'dense/Relu', value: (v) => layersFrom(0, v, 6), rest: (a) => logits(layersFrom(6, a)) },
  ];

  for (const c of cases) {
    it.each(['logit', 'logprob', 'prob'] as const)(`fashion-cnn, ${c.tensor}, target %s`, async (target) => {
      const w = new Float32Array(N * CLASSES);
      for (let i = 0; i < N; i++) w[i * CLASSES + ((i * 7) % CLASSES)] = 1;
      w[(N - 1) * CLASSES + 2] = -1;
      const [value, expected] = tf.tidy(() => {
        const a = c.value(tf.tensor3d(x, [N, 28, 28]));
        const wt = tf.tensor2d(w, [N, CLASSES]);
        const f = (v: tf.Tensor) => {
          const z = c.rest(v);
          return tf.sum(tf.mul(wt, target === 'logit' ? z : target === 'logprob' ? tf.logSoftmax(z) : tf.softmax(z)));
        };
        return [a.dataSync() as Float32Array, tf.grad(f)(a).dataSync() as Float32Array];
      });
      const program = compileGradient(new Uint8Array(readFileSync(`${MODELS_DIR}fashion-cnn.onnx`)), { target, wrt: [c.tensor] });
      const wrt = program.wrt![0]!;
      expect(wrt.tensor).toBe(c.tensor);
      const out = await run(program, x, [N, 28, 28], w);
      const v = relError(out[wrt.tensor]!, value);
      expect(v.error, `value, worst element ${v.index}`).toBeLessThanOrEqual(TOLERANCE);
      const g = relError(out[wrt.grad]!, expected);
      expect(g.error, `gradient, worst element ${g.index}`).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('sums the contributions of every node reading the tensor, and keeps the input gradient', async () => {
    // x -> h = x * a -> y = Relu(h) + Tanh(h) * h
    const rng = new Rng(7);
    const shape = [3, 8];
    const a = rng.floats(8);
    const m = opModel({
      inputShape: shape,
      initializers: { a: floats([8], a) },
      nodes: [
        node('Mul', ['x', 'a'], 'h'),
        node('Relu', ['h'], 'r'),
        node('Tanh', ['h'], 't'),
        node('Mul', ['t', 'h'], 'th'),
        node('Add', ['r', 'th'], 'y'),
      ],
    });
    const xv = rng.signedAway(24, 0.05, 1);
    const w = rng.floats(24);
    const program = compileGradient(m, { wrt: ['h'] });
    const out = await run(program, xv, shape, w);
    const [gh, gx] = tf.tidy(() => {
      const wt = tf.tensor2d(w, shape as [number, number]);
      const at = tf.tensor1d(a);
      const head = (h: tf.Tensor) => tf.sum(tf.mul(wt, tf.add(tf.relu(h), tf.mul(tf.tanh(h), h))));
      const h = tf.mul(tf.tensor2d(xv, shape as [number, number]), at);
      return [
        tf.grad(head)(h).dataSync() as Float32Array,
        tf.grad((v: tf.Tensor) => head(tf.mul(v, at)))(tf.tensor2d(xv, shape as [number, number])).dataSync() as Float32Array,
      ];
    });
    expect(relError(out[program.wrt![0]!.grad]!, gh).error).toBeLessThanOrEqual(TOLERANCE);
    expect(relError(out[program.outputs.grad]!, gx).error).toBeLessThanOrEqual(TOLERANCE);
  });

  it('refuses tensors it cannot differentiate with respect to, naming them', () => {
    const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}fashion-cnn.onnx`));
    const message = (wrt: string, target = 'logit') => {
      try {
        compileGradient(bytes, { wrt: [wrt], target });
        return 'compiled';
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as Error).message;
      }
    };
    expect(message('conv9/Relu')).toBe('the model has no tensor named "conv9/Relu"');
    expect(message('input')).toMatch(/"input" is the model input/);
    expect(message('dense/kernel')).toMatch(/tensor "dense\/kernel" does not depend on the model input/);
    expect(message('probabilities')).toMatch(/the objective does not depend on tensor "probabilities"/);
  });
});
