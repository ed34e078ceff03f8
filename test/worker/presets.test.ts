/**
 * The natural preset gives images that look like the class to another network, not adversarial noise: the image
 * maximized on one model is classified as the same class by the other model.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { decodeModel, encodeModel } from '../../functions/onnx/model.js';
import { floats } from '../../functions/onnx/tensor.js';
import { base64url, get, getJson, type MaximizeJson } from './helpers.js';

/** fashion-mlp as a model of pixels in 0..255: the same network behind x / 255. */
function mlpIn255(): Uint8Array {
  const m = decodeModel(new Uint8Array(mlpBytes));
  const input = m.graph.inputs[0]!.name;
  for (const n of m.graph.nodes) n.inputs = n.inputs.map((x) => (x === input ? 'x_scaled' : x));
  m.graph.initializers.set('inv255', floats([], [1 / 255]));
  m.graph.nodes.unshift({ name: 'scale', opType: 'Mul', domain: '', inputs: [input, 'inv255'], outputs: ['x_scaled'], attrs: {} });
  return encodeModel(m);
}

async function upload(bytes: Uint8Array, query: string): Promise<string> {
  const r = await get(`/api/v1/models?${query}`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  const text = await r.text();
  expect(r.status, text).toBeLessThan(300);
  return (JSON.parse(text) as { id: string }).id;
}

/** For how many of the 10 classes `judge` classifies the image maximized on `source` as that class. */
async function agreement(source: string, judge: string, preset: 'natural' | 'none'): Promise<number> {
  let agree = 0;
  for (let k = 0; k < 10; k++) {
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=${source}&class=${k}&preset=${preset}&format=json`);
    expect(j.params.l2).toBe(preset === 'natural' ? 0.005 : 0);
    const p = await getJson<{ predicted: { class: number } }>(`/api/v1/predict?model=${judge}&x=${base64url(Uint8Array.from(j.image.levels))}`);
    if (p.predicted.class === k) agree++;
  }
  return agree;
}

// the figures README.md states ("Regularizers"): natural 10 of 10 and 9 of 10, the default settings 5 and 8
describe('preset=natural', () => {
  it('fashion-cnn recognizes 10 of 10 natural fashion-mlp images, 5 of 10 with the default settings', async () => {
    const natural = await agreement('fashion-mlp', 'fashion-cnn', 'natural');
    const plain = await agreement('fashion-mlp', 'fashion-cnn', 'none');
    expect([natural, plain]).toEqual([10, 5]);
  });

  it('fashion-mlp recognizes 9 of 10 natural fashion-cnn images, 8 of 10 with the default settings', async () => {
    const natural = await agreement('fashion-cnn', 'fashion-mlp', 'natural');
    const plain = await agreement('fashion-cnn', 'fashion-mlp', 'none');
    expect([natural, plain]).toEqual([9, 8]);
  });

  it('gives the same image for one model described in 0..1 and in 0..255, and it is not black', async () => {
    const unit = await upload(new Uint8Array(mlpBytes), 'title=mlp-0-1');
    const byte = await upload(mlpIn255(), 'title=mlp-0-255&min=0&max=255');
    for (const k of [0, 7]) {
      const a = await getJson<MaximizeJson>(`/api/v1/maximize?model=${unit}&class=${k}&preset=natural&format=json`);
      const b = await getJson<MaximizeJson>(`/api/v1/maximize?model=${byte}&class=${k}&preset=natural&format=json`);
      expect(b.params.l2).toBeCloseTo(0.005 / 255 ** 2, 12);
      expect(b.params.lr).toBeCloseTo(0.03 * 255, 6);
      const d = a.image.levels.map((v, i) => Math.abs(v - b.image.levels[i]!));
      expect(Math.max(...d), `class ${k}`).toBeLessThanOrEqual(1);
      expect(b.probability).toBeGreaterThan(0.99);
      expect(Math.max(...b.image.levels)).toBe(255);
    }
  });

  it('lets explicit parameters override the preset', async () => {
    const j = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=1&preset=natural&tv=0&steps=16&format=json');
    expect(j.params.tv).toBe(0);
    expect(j.params.l2).toBe(0.005);
  });
});

describe('restarts', () => {
  it('optimizes several random starts together and returns the best', async () => {
    const j = await getJson<MaximizeJson & { restart: number; restarts: { objective: number }[] }>(
      '/api/v1/maximize?model=fashion-mlp&class=Dress&init=uniform&restarts=4&steps=32&format=json');
    expect(j.restarts).toHaveLength(4);
    const best = Math.max(...j.restarts.map((r) => r.objective));
    expect(j.objective).toBe(best);
    expect(j.restarts[j.restart]!.objective).toBe(best);
  });

  it('returns all of them as a grid with pick=all', async () => {
    const r = await get('/api/v1/maximize?model=fashion-mlp&class=Dress&init=uniform&restarts=4&steps=32&pick=all&scale=2');
    const img = decode(new Uint8Array(await r.arrayBuffer()));
    // 2 x 2 tiles of 56 px with a 2 px gap
    expect([img.width, img.height]).toEqual([114, 114]);
  });
});
