/**
 * Restarts that are worth looking at: restarts=4&pick=all on fashion-mlp shows four images that differ by a
 * visible margin (restarts after the first start from blobs of their own, maximize/restart-starts.ts), each
 * still a confident answer.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { get, getJson } from './helpers.js';

/** The four 28x28 tiles of a 2x2 grid PNG at scale 1 (2-pixel gaps). */
function tiles(png: Uint8Array): number[][] {
  const img = decode(png);
  expect([img.width, img.height]).toEqual([58, 58]);
  return [0, 1, 2, 3].map((t) => {
    const [ox, oy] = [(t % 2) * 30, Math.floor(t / 2) * 30];
    return Array.from({ length: 784 }, (_, i) => img.data[((oy + Math.floor(i / 28)) * img.width + ox + (i % 28)) * img.channels]!);
  });
}

describe('restarts=4&pick=all', () => {
  it('gives four different images on fashion-mlp, each a confident Sneaker', async () => {
    const q = 'model=fashion-mlp&class=Sneaker&restarts=4&pick=all';
    const r = await get(`/api/v1/maximize?${q}&scale=1`);
    expect(r.status).toBe(200);
    const t = tiles(new Uint8Array(await r.arrayBuffer()));
    // mean absolute difference of every pair, in 8-bit levels (before: one pair differed by 0.8 of 255)
    for (let a = 0; a < 4; a++) {
      for (let b = a + 1; b < 4; b++) {
        const d = t[a]!.reduce((s, v, i) => s + Math.abs(v - t[b]![i]!), 0) / 784;
        expect(d, `restarts ${a} and ${b}`).toBeGreaterThanOrEqual(15);
      }
    }
    const j = await getJson<{ restarts: { probability: number }[] }>(`/api/v1/maximize?${q}&format=json`);
    expect(j.restarts).toHaveLength(4);
    for (const x of j.restarts) expect(x.probability).toBeGreaterThanOrEqual(0.9);
  });
});
