/**
 * Concurrent requests in one isolate share compiled programs; each still gets exactly the result it would get
 * alone (the same numbers as a sequential computation).
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { get, type MaximizeJson } from './helpers.js';

describe('concurrent requests', () => {
  it('give the same results as one at a time', async () => {
    const url = (k: number) => `/api/v1/maximize?model=fashion-cnn&class=${k}&steps=40`;
    const classes = [0, 1, 2, 3, 4, 5];
    const together = await Promise.all(classes.map((k) => get(`${url(k)}&format=json`)));
    for (const r of together) {
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ascent-cache')).toBe('miss');
    }
    const results = await Promise.all(together.map(async (r) => (await r.json()) as MaximizeJson));
    // the same computations again, one after the other: the PNG of each is another cache entry, so it is
    // computed anew, and its pixels are the levels of the JSON result
    for (const [i, k] of classes.entries()) {
      const alone = await get(`${url(k)}&format=png&scale=1`);
      expect(alone.headers.get('x-ascent-cache')).toBe('miss');
      const png = decode(new Uint8Array(await alone.arrayBuffer()));
      expect(Array.from(png.data)).toEqual(results[i]!.image.levels);
      expect(Number(alone.headers.get('x-ascent-probability'))).toBe(results[i]!.probability);
    }
  });
});
