/**
 * The founding question, answered by URL: for every class of both models, the default request returns an image
 * that the model classifies as that class with probability >= 0.99, judged on the returned PNG itself.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
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

  it('keeps every value inside a narrower range given by min and max, projected every step', async () => {
    const j = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-cnn&class=Bag&min=0.2&max=0.6&format=json');
    for (const v of j.image.data) {
      expect(v).toBeGreaterThanOrEqual(0.2 - 1e-6);
      expect(v).toBeLessThanOrEqual(0.6 + 1e-6);
    }
  });

  it('maximizes a contrast class - minus', async () => {
    const j = await getJson<MaximizeJson & { minus: number }>('/api/v1/maximize?model=fashion-mlp&class=Shirt&minus=T-shirt%2Ftop&format=json');
    expect(j.minus).toBe(0);
    expect(j.probabilities[6]!).toBeGreaterThan(j.probabilities[0]!);
  });

  it('maximizes a hidden unit of a named tensor', async () => {
    const m = await getJson<{ id: string }>('/api/v1/models/fashion-cnn');
    expect(m.id).toBe('fashion-cnn');
    const r = await get('/api/v1/maximize?model=fashion-mlp&layer=logits&unit=3&format=json');
    const j = (await r.json()) as MaximizeJson;
    expect(r.status).toBe(200);
    expect(j.predicted.class).toBe(3);
  });
});

/** A shipped test image's 8-bit levels. */
async function sampleLevels(index: number): Promise<number[]> {
  const s = await getJson<{ x: string }>(`/api/v1/samples/${index}`);
  const bin = atob(s.x.replace(/-/g, '+').replace(/_/g, '/'));
  return Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** A shipped test image's values in the models' range [0, 1]. */
async function samplePixels(index: number): Promise<number[]> {
  return (await sampleLevels(index)).map((v) => v / 255);
}

describe('adversarial: a targeted attack inside an eps-ball', () => {
  it.each([['fashion-mlp', 0.1], ['fashion-cnn', 0.15]] as const)('%s turns a test image of one class into another with max |x - x0| <= eps', async (model, eps) => {
    const sample = 0; // the first shipped test image, a T-shirt/top
    const start = await getJson<{ probabilities: number[]; sample: { class: number } }>(`/api/v1/predict?model=${model}&sample=${sample}`);
    const target = 8; // Bag
    expect(start.sample.class).not.toBe(target);
    const j = await getJson<MaximizeJson & { params: Record<string, unknown> }>(
      `/api/v1/maximize?model=${model}&class=${target}&sample=${sample}&eps=${eps}&norm=linf&optimizer=sign&lr=0.01&steps=100&format=json`,
    );
    expect(j.predicted.class).toBe(target);
    const startPixels = await samplePixels(sample);
    let worst = 0;
    for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(j.image.data[i]! - startPixels[i]!));
    expect(worst).toBeLessThanOrEqual(eps + 1e-6);
    expect(worst).toBeGreaterThan(0);
  });

  it('respects an L2 ball', async () => {
    const eps = 2;
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=fashion-mlp&class=Trouser&sample=0&eps=${eps}&norm=l2&format=json`);
    const x0 = await samplePixels(0);
    let sq = 0;
    for (let i = 0; i < 784; i++) sq += (j.image.data[i]! - x0[i]!) ** 2;
    expect(Math.sqrt(sq)).toBeLessThanOrEqual(eps + 1e-5);
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
