/**
 * /api/v1/exemplars lists exactly the top-k of all shipped test images by the requested score: checked against
 * an independent recomputation, the ORIGINAL ONNX files run with onnxruntime (not Ascent's compiled program),
 * for a built-in model and for an uploaded corpus model (through the API app in Node, uploads in memory).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/api/app.js';
import { memoryCache } from '../../../functions/api/cache.js';
import { fileRegistry, fileSamples } from '../../../functions/hosts/node/registry.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { onnx } from '../../../functions/onnx/proto.js';
import { memoryStore } from '../../../functions/registry/store.js';
import { UploadStore } from '../../../functions/registry/uploads.js';
import { CORPUS_MISSING, corpusBytes, corpusPresent } from '../helpers/corpus.js';

const samples = fileSamples();
const store = memoryStore();
const app = createApp({ registry: fileRegistry(), loadOrt, samples: fileSamples, cache: memoryCache(), uploads: new UploadStore(store), programStore: store });

interface Listing {
  items: { sample: number; score: number; probability: number; label: string }[];
}

async function exemplars(query: string): Promise<Listing> {
  const r = await app.request(`http://localhost/api/v1/exemplars?${query}&format=json`);
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return JSON.parse(text) as Listing;
}

/** One output of an ONNX file for every shipped image (pixels p / 255 in [0, 1]), run `batch` at a time. */
async function originalOutput(bytes: Uint8Array, output: string, shape: (n: number) => number[], batch: number): Promise<number[][]> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const size = samples.height * samples.width;
  const rows: number[][] = [];
  for (let start = 0; start < samples.count; start += batch) {
    const x = Float32Array.from(samples.pixels.subarray(start * size, (start + batch) * size), (p) => p / 255);
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, shape(batch)) }, [output]);
    const y = out[output]!.data as Float32Array;
    const classes = y.length / batch;
    for (let i = 0; i < batch; i++) rows.push(Array.from(y.subarray(i * classes, (i + 1) * classes)));
  }
  await session.release();
  return rows;
}

/** The model file with an intermediate tensor (e.g. the logits before the final Softmax) as an extra output. */
function withOutput(bytes: Uint8Array, tensor: string): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.graph!.output!.push(onnx.ValueInfoProto.create({ name: tensor, type: { tensorType: { elemType: 1 } } }));
  return onnx.ModelProto.encode(m).finish();
}

const logSoftmax = (z: number[]) => {
  const m = Math.max(...z);
  const s = Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
  return z.map((v) => v - s);
};

/**
 * The listing is the top-k by `scores` (the independent ones): its i-th item has the i-th best score (within
 * float tolerance, since two runtimes round differently and saturated probabilities tie), the items are distinct,
 * and the scores the API reports are the independent ones.
 */
function expectTopK(listing: Listing, scores: number[], k: number, order: 'top' | 'bottom', tolerance: number): void {
  const sign = order === 'top' ? -1 : 1;
  const best = [...scores.keys()].sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b).slice(0, k);
  const listed = listing.items.map((i) => i.sample);
  expect(listed).toHaveLength(k);
  expect(new Set(listed).size).toBe(k);
  listed.forEach((s, i) => {
    expect(Math.abs(scores[s]! - scores[best[i]!]!), `item ${i}: sample ${s} vs ${best[i]}`).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(listing.items[i]!.score - scores[s]!)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(scores[s]!)));
  });
  // where no near-ties blur the order, the very same samples
  const gaps = best.slice(1).map((s, i) => Math.abs(scores[s]! - scores[best[i]!]!));
  if (gaps.every((g) => g > 10 * tolerance)) expect(listed).toEqual(best);
}

describe('exemplars agree with onnxruntime on the original files', () => {
  it('fashion-mlp: top 16 Sneakers by logit, bottom 9 Bags by probability', async () => {
    const file = new Uint8Array(readFileSync(new URL('../../../models/fashion-mlp.onnx', import.meta.url)));
    // the model ends in Softmax: its input, the tensor "logits", is the score target=logit ranks by
    const logits = await originalOutput(withOutput(file, 'logits'), 'logits', (n) => [n, 28, 28], 100);
    expectTopK(await exemplars('model=fashion-mlp&class=Sneaker&k=16'), logits.map((z) => z[7]!), 16, 'top', 1e-4);
    const probabilities = await originalOutput(file, 'probabilities', (n) => [n, 28, 28], 100);
    expectTopK(await exemplars('model=fashion-mlp&class=8&k=9&target=prob&order=bottom'), probabilities.map((p) => p[8]!), 9, 'bottom', 1e-6);
  });

  it.skipIf(!corpusPresent)('an uploaded corpus model (CNTK MNIST, fixed batch 1): top 64 of digit 3 by log-probability', async () => {
    const bytes = corpusBytes('cntk_zoo_mnist8.onnx');
    const up = await app.request('http://localhost/api/v1/models?title=mnist-8&labels=0,1,2,3,4,5,6,7,8,9', {
      method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' },
    });
    const info = (await up.json()) as { id: string; detail?: string };
    expect(up.status, info.detail).toBe(201);
    const logits = await originalOutput(bytes, 'Plus214_Output_0', () => [1, 1, 28, 28], 1);
    expectTopK(await exemplars(`model=${info.id}&class=3&k=64&target=logprob`), logits.map((z) => logSoftmax(z)[3]!), 64, 'top', 1e-4);
    // a second isolate would read the stored logits instead of recomputing them
    expect(await store.list(`exemplars/${info.id}/`)).toHaveLength(1);
  });
  if (!corpusPresent) console.warn(CORPUS_MISSING);
});
