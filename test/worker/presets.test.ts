/**
 * The natural preset gives images that look like the class to another network, not adversarial noise: the image
 * maximized on one model is classified as the same class by the other model.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { base64url, get, getJson, type MaximizeJson } from './helpers.js';

async function agreement(source: string, judge: string): Promise<number> {
  let agree = 0;
  for (let k = 0; k < 10; k++) {
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=${source}&class=${k}&preset=natural&format=json`);
    expect(j.params.l2).toBe(0.005);
    const p = await getJson<{ predicted: { class: number } }>(`/api/v1/predict?model=${judge}&x=${base64url(Uint8Array.from(j.image.levels))}`);
    if (p.predicted.class === k) agree++;
  }
  return agree;
}

describe('preset=natural', () => {
  it('fashion-mlp images are recognized by fashion-cnn for most classes', async () => {
    const n = await agreement('fashion-mlp', 'fashion-cnn');
    console.log(`natural preset: fashion-cnn recognizes ${n}/10 fashion-mlp images`);
    expect(n).toBeGreaterThanOrEqual(8);
  });

  it('fashion-cnn images are recognized by fashion-mlp for most classes', async () => {
    const n = await agreement('fashion-cnn', 'fashion-mlp');
    console.log(`natural preset: fashion-mlp recognizes ${n}/10 fashion-cnn images`);
    expect(n).toBeGreaterThanOrEqual(8);
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
