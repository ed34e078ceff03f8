/**
 * Are the answers through a prior readable and honest? The default request (`prior=...`, nothing else) for every
 * class, through the API app in Node, judged by what Ascent's models never saw:
 *  - on the data: at least 80 % of the images are as close to real images as real test images are (their PCA
 *    reconstruction error is within the 95th percentile of the real test images' errors);
 *  - recognized by classifiers trained apart, on raw pixels (k nearest neighbours among training images, and a
 *    softmax regression): top class = the class asked for, on average over the two, for at least 80 %.
 * Fashion: both built-in models. Digits: two classifiers of the ONNX corpus (other people's exports), uploaded
 * through the API; for them the workerd tests' classification criteria are checked here too (p >= 0.9 on the
 * model maximized, the other one agrees for >= 9 of 10 classes each way).
 * The judges (PCA, softmax weights) are fixtures made by test/node/fixtures/make-judges.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/api/app.js';
import { memoryCache } from '../../../functions/api/cache.js';
import { filePriors, fileRegistry, fileSamples } from '../../../functions/hosts/node/registry.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { memoryStore } from '../../../functions/registry/store.js';
import { UploadStore } from '../../../functions/registry/uploads.js';
import { loadTrainSplit, toFloats, type Split } from '../../../models/train/data.js';
import { loadDigitTrainSplit } from '../../../models/train/digits.js';
import { CORPUS_MISSING, corpusBytes, corpusPresent } from '../helpers/corpus.js';
import { agreement, decodeJudges, knn, linearClassifier, pcaErrors } from '../helpers/judges.js';

const PIXELS = 784;
const app = createApp({
  registry: fileRegistry(), priors: filePriors(), loadOrt, samples: fileSamples, cache: memoryCache(),
  uploads: new UploadStore(memoryStore()), programStore: memoryStore(),
});

interface Result { probability: number; predicted: { class: number }; image: { levels: number[] } }

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await app.request(`http://localhost${path}`, init);
  const text = await r.text();
  expect(r.ok, `${path} -> ${r.status} ${text.slice(0, 300)}`).toBe(true);
  return JSON.parse(text) as T;
}

const base64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** The default prior image of every class of `model`: levels as [0, 1] rows, and the results. */
async function answers(model: string, prior: string): Promise<{ x: Float32Array; results: Result[] }> {
  const x = new Float32Array(10 * PIXELS);
  const results: Result[] = [];
  for (let k = 0; k < 10; k++) {
    const r = await call<Result>(`/api/v1/maximize?model=${model}&class=${k}&prior=${prior}&format=json`);
    r.image.levels.forEach((v, i) => { x[k * PIXELS + i] = v / 255; });
    results.push(r);
  }
  return { x, results };
}

/** Every `step`-th image of a split, as [0, 1] rows. */
function every(split: Split, step: number): { x: Float32Array; labels: Uint8Array; n: number } {
  const n = Math.floor(split.count / step);
  const x = new Float32Array(n * PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x.set(toFloats(split, i * step, 1), i * PIXELS);
    labels[i] = split.labels[i * step]!;
  }
  return { x, labels, n };
}

/** The two judgements on images x (n rows, row i asked for class classes[i]). */
function judge(name: string, x: Float32Array, classes: number[], data: 'fashion' | 'digits', refs: ReturnType<typeof every>) {
  const j = decodeJudges(new Uint8Array(readFileSync(new URL(`../fixtures/judges-${data}.bin`, import.meta.url))));
  const n = classes.length;
  const errors = pcaErrors(j.pca, x, n);
  const onData = [...errors].filter((e) => e <= j.threshold).length / n;
  const byKnn = agreement(knn(refs.x, refs.labels, refs.n, 5), x, classes, n);
  const bySoftmax = agreement(linearClassifier(j.softmax), x, classes, n);
  console.log(`${name}: ${(onData * 100).toFixed(0)} % within the real images' 95th percentile of PCA error (${j.threshold.toFixed(2)}; `
    + `theirs: ${[...errors].map((e) => e.toFixed(2)).join(' ')}); recognized by kNN ${byKnn.toFixed(2)}, softmax regression ${bySoftmax.toFixed(2)}`);
  return { onData, recognized: (byKnn + bySoftmax) / 2 };
}

describe('prior=fashion: on the data and recognized by classifiers never seen', () => {
  it('for all 10 classes of fashion-mlp and fashion-cnn', { timeout: 600_000 }, async () => {
    const mlp = await answers('fashion-mlp', 'fashion');
    const cnn = await answers('fashion-cnn', 'fashion');
    const x = new Float32Array(20 * PIXELS);
    x.set(mlp.x, 0);
    x.set(cnn.x, 10 * PIXELS);
    const classes = [...Array(20).keys()].map((i) => i % 10);
    const { onData, recognized } = judge('prior=fashion (20 images)', x, classes, 'fashion', every(loadTrainSplit(), 6));
    expect(onData).toBeGreaterThanOrEqual(0.8);
    expect(recognized).toBeGreaterThanOrEqual(0.8);
  });
});

// Two digit classifiers of other exporters: PyTorch's LeNet ([N, 1, 28, 28], logits) and a Keras CNN through
// tf2onnx ([N, 28, 28], probabilities).
const DIGIT_MODELS = ['torch_mnist_lenet.onnx', 'keras_tf2onnx_mnist_cnn_rank3.onnx'];

describe.skipIf(!corpusPresent)('prior=digits on two corpus classifiers uploaded through the API', () => {
  if (!corpusPresent) console.warn(CORPUS_MISSING);
  it('every digit at p >= 0.9, the other model agrees for >= 9 of 10 each way, on the data, recognized', { timeout: 600_000 }, async () => {
    const ids: string[] = [];
    for (const file of DIGIT_MODELS) {
      const up = await call<{ id: string }>(`/api/v1/models?title=${file}&labels=0,1,2,3,4,5,6,7,8,9`, {
        method: 'POST', body: corpusBytes(file), headers: { 'content-type': 'application/octet-stream' },
      });
      ids.push(up.id);
    }
    const x = new Float32Array(20 * PIXELS);
    for (const [m, id] of ids.entries()) {
      const other = ids[1 - m]!;
      const { x: images, results } = await answers(id, 'digits');
      x.set(images, m * 10 * PIXELS);
      let agree = 0;
      for (const [k, r] of results.entries()) {
        expect(r.probability, `${DIGIT_MODELS[m]} digit ${k}`).toBeGreaterThanOrEqual(0.9);
        const p = await call<{ predicted: { class: number } }>(`/api/v1/predict?model=${other}&x=${base64url(Uint8Array.from(r.image.levels))}`);
        if (p.predicted.class === k) agree++;
      }
      console.log(`prior=digits maximized on ${DIGIT_MODELS[m]}: p = ${results.map((r) => r.probability.toFixed(3)).join(' ')}; ${DIGIT_MODELS[1 - m]} agrees ${agree}/10`);
      expect(agree).toBeGreaterThanOrEqual(9);
    }
    const classes = [...Array(20).keys()].map((i) => i % 10);
    const { onData, recognized } = judge('prior=digits (20 images)', x, classes, 'digits', every(loadDigitTrainSplit(), 1));
    expect(onData).toBeGreaterThanOrEqual(0.8);
    expect(recognized).toBeGreaterThanOrEqual(0.8);
  });
});
