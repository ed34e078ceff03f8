/**
 * The founding question, answered by URL: for every class of both models, the default request returns an image
 * that the model classifies as that class with probability >= 0.99, judged on the returned PNG itself.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import cnnBytes from '../../models/fashion-cnn.onnx';
import { loadOrt } from '../../functions/hosts/workerd/ort.js';
import { decodeModel, encodeModel } from '../../functions/onnx/model.js';
import { base64url, get, getJson, type MaximizeJson } from './helpers.js';

const MODELS = ['fashion-mlp', 'fashion-cnn'];

/** The model-resolution pixels of a PNG enlarged by `scale` (nearest neighbour: take every scale-th pixel). */
function pixelsOf(png: Uint8Array, scale: number): Uint8Array {
  const img = decode(png);
  const h = img.height / scale;
  const w = img.width / scale;
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = img.data[(y * scale * img.width + x * scale) * img.channels]!;
  return out;
}

describe.each(MODELS)('default maximize on %s', (model) => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])('class %i reaches p >= 0.99 on the returned PNG', async (k) => {
    const r = await get(`/api/v1/maximize?model=${model}&class=${k}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const png = new Uint8Array(await r.arrayBuffer());
    const img = decode(png);
    expect(img.width).toBe(224);
    const pixels = pixelsOf(png, 8);
    const p = await getJson<{ probabilities: number[]; predicted: { class: number } }>(`/api/v1/predict?model=${model}&x=${base64url(pixels)}`);
    expect(p.predicted.class).toBe(k);
    expect(p.probabilities[k]).toBeGreaterThanOrEqual(0.99);
  });
});

describe('maximize as JSON', () => {
  it('reports the quantized image, its probabilities and the trace', async () => {
    const j = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=Sneaker&format=json');
    expect(j.class).toBe(7);
    expect(j.label).toBe('Sneaker');
    expect(j.steps).toBe(256);
    expect(j.probabilities).toHaveLength(10);
    expect(j.probability).toBeGreaterThanOrEqual(0.99);
    expect(j.image.shape).toEqual([28, 28]);
    expect(j.image.data).toHaveLength(784);
    for (let i = 0; i < 784; i++) {
      expect(j.image.data[i]).toBeGreaterThanOrEqual(0);
      expect(j.image.data[i]).toBeLessThanOrEqual(1);
      expect(Math.abs(j.image.data[i]! - j.image.levels[i]! / 255)).toBeLessThan(1e-6);
    }
    expect(j.trace.objective).toHaveLength(256);
    expect(j.trace.probability).toHaveLength(256);
    // ascent: the objective ends far above where it started
    expect(j.trace.objective.at(-1)!).toBeGreaterThan(j.trace.objective[0]!);
    // the probabilities reported are those of the returned (quantized) image
    const p = await getJson<{ probabilities: number[] }>(`/api/v1/predict?model=fashion-mlp&x=${base64url(Uint8Array.from(j.image.levels))}`);
    p.probabilities.forEach((v, c) => expect(Math.abs(v - j.probabilities[c]!)).toBeLessThan(1e-5));
  });

  it('keeps every value inside a range that is not on the 8-bit grid, up to its edges', async () => {
    // 0.209 and 0.595 lie between levels (53.3 and 151.7 of 255): rounding to the nearest level would leave the
    // range, so the result's levels must stop at 54 and 151
    const [min, max] = [0.209, 0.595];
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=fashion-mlp&class=Bag&min=${min}&max=${max}&steps=64&format=json`);
    for (const v of j.image.data) {
      expect(v).toBeGreaterThanOrEqual(min);
      expect(v).toBeLessThanOrEqual(max);
    }
    expect(Math.min(...j.image.levels)).toBe(54);
    expect(Math.max(...j.image.levels)).toBe(151);
  });

  it('maximizes a contrast class - minus', async () => {
    const j = await getJson<MaximizeJson & { minus: number }>('/api/v1/maximize?model=fashion-mlp&class=Shirt&minus=T-shirt%2Ftop&format=json');
    expect(j.minus).toBe(0);
    expect(j.probabilities[6]!).toBeGreaterThan(j.probabilities[0]!);
  });

  it('maximizes a hidden unit: the mean of one channel of a feature map', async () => {
    // conv2d/Relu is fashion-cnn's first feature map, [N, 32, 26, 26]; the unit is channel 5
    const [layer, unit] = ['conv2d/Relu', 5];
    const j = await getJson<MaximizeJson & { score: number }>(
      `/api/v1/maximize?model=fashion-cnn&layer=${encodeURIComponent(layer)}&unit=${unit}&sample=0&steps=64&format=json`,
    );
    // the channel's mean, measured on the returned image by onnxruntime running the model itself
    const measured = await channelMean(j.image.levels, layer, unit);
    expect(Math.abs(j.score - measured)).toBeLessThanOrEqual(1e-4 * Math.abs(measured));
    const before = await channelMean(await sampleLevels(0), layer, unit);
    // channel 5 starts at a mean of 0.03 on the T-shirt and ends near 0.27
    expect(measured).toBeGreaterThan(5 * before);
    expect(j.trace.objective[0]!).toBeCloseTo(before, 4);
  });
});

/** The mean of channel `unit` of fashion-cnn's tensor `name` for an image given as 8-bit levels. */
async function channelMean(levels: number[], name: string, unit: number): Promise<number> {
  const model = decodeModel(new Uint8Array(cnnBytes));
  model.graph.outputs.push({ name, dtype: 'float32', shape: ['N', 'C', 'H', 'W'] });
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(encodeModel(model));
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(levels, (v) => v / 255), [1, 28, 28]) });
  const t = out[name]!;
  const [, channels, h, w] = t.dims as number[];
  expect(unit).toBeLessThan(channels!);
  const data = t.data as Float32Array;
  let sum = 0;
  for (let i = 0; i < h! * w!; i++) sum += data[unit * h! * w! + i]!;
  return sum / (h! * w!);
}

/** A shipped test image's 8-bit levels. */
async function sampleLevels(index: number): Promise<number[]> {
  const s = await getJson<{ x: string }>(`/api/v1/samples/${index}`);
  const bin = atob(s.x.replace(/-/g, '+').replace(/_/g, '/'));
  return Array.from(bin, (ch) => ch.charCodeAt(0));
}

describe('adversarial: a targeted attack inside an eps-ball', () => {
  /** The largest per-pixel change between two images given as levels, in the models' range [0, 1]. */
  const linf = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / 255));

  it("is the README's example: fashion-cnn takes test image 0, a T-shirt, for a Bag (p > 0.999) within 0.1 per pixel", async () => {
    const url = '/api/v1/maximize?model=fashion-cnn&class=Bag&sample=0&eps=0.1&optimizer=sign&lr=0.01&steps=100';
    const sample = await getJson<{ label: string }>('/api/v1/samples/0');
    expect(sample.label).toBe('T-shirt/top');
    const j = await getJson<MaximizeJson>(`${url}&format=json`);
    expect(j.predicted.label).toBe('Bag');
    expect(j.probability!).toBeGreaterThan(0.999);
    const x0 = await sampleLevels(0);
    expect(linf(j.image.levels, x0)).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(linf(j.image.levels, x0)).toBeGreaterThan(0.09);
    // the perturbation (&view=delta): mid-gray exactly where the image did not change
    const delta = decode(new Uint8Array(await (await get(`${url}&view=delta&colormap=gray&scale=1`)).arrayBuffer()));
    for (let i = 0; i < 784; i++) expect(delta.data[i * delta.channels] === 128).toBe(j.image.levels[i] === x0[i]);
  });

  it('turns the same T-shirt into a Bag for fashion-mlp too', async () => {
    const j = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=Bag&sample=0&eps=0.1&optimizer=sign&lr=0.01&steps=100&format=json');
    expect(j.predicted.label).toBe('Bag');
    expect(linf(j.image.levels, await sampleLevels(0))).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  it('stays inside an L2 ball that binds, also after the 8-bit rounding', async () => {
    // here rounding each value to its nearest level would end 0.526 from the start: the quantizer must round
    // toward the start instead
    const eps = 0.5;
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=fashion-mlp&class=Bag&sample=0&eps=${eps}&norm=l2&steps=64&format=json`);
    const x0 = await sampleLevels(0);
    const distance = Math.hypot(...j.image.levels.map((v, i) => (v - x0[i]!) / 255));
    expect(distance).toBeLessThanOrEqual(eps);
    expect(distance).toBeGreaterThan(0.8 * eps);
  });

  it('only changes pixels inside the mask', async () => {
    const j = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=Bag&sample=0&mask=4,4,12,12&format=json');
    const x0 = await sampleLevels(0);
    let changedInside = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const i = y * 28 + x;
        const inside = x >= 4 && x < 12 && y >= 4 && y < 12;
        if (!inside) expect(j.image.levels[i]).toBe(x0[i]);
        else if (j.image.levels[i] !== x0[i]) changedInside++;
      }
    }
    expect(changedInside).toBeGreaterThan(0);
  });
});
