/**
 * The PNG encoder: what it writes decodes (fast-png) to the raster given,
 * gray and RGB, with the text chunks; rows that repeat are filtered Up (zeros) and the rest stored as they are; the same raster gives the same bytes; Node's zlib gives the same pixels; enlarging while encoding gives the bytes of encoding the enlarged raster.
 */
import { deflateSync } from 'node:zlib';
import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodePng, filterRows } from '../../../functions/encode/png.js';
import { enlarge, type Raster } from '../../../functions/encode/raster.js';
import { rng } from '../../../functions/engine/prng.js';

function noise(width: number, height: number, channels: 1 | 3, seed: number): Raster {
  const random = rng(seed);
  return { width, height, channels, data: Uint8Array.from({ length: width * height * channels }, () => random.int(0, 255)) };
}

describe('encodePng', () => {
  for (const channels of [1, 3] as const) {
    it(`round-trips ${channels === 1 ? 'gray' : 'RGB'} rasters, enlarged or not, with their text`, async () => {
      for (const r of [noise(28, 28, channels, 1), enlarge(noise(28, 28, channels, 2), 8), noise(5, 3, channels, 3)]) {
        const png = await encodePng(r, { Software: 'Ascent', Comment: '/api/v1/maximize?model=fashion-mlp&class=7' });
        const d = decode(png);
        expect([d.width, d.height, d.channels, d.depth]).toEqual([r.width, r.height, channels, 8]);
        expect(Array.from(d.data as Uint8Array)).toEqual(Array.from(r.data));
        expect(d.text).toEqual({ Software: 'Ascent', Comment: '/api/v1/maximize?model=fashion-mlp&class=7' });
        expect(await encodePng(r, {})).toEqual(await encodePng(r, {}));
        // another zlib (Node's) gives other bytes of the same image
        const other = decode(await encodePng(r, {}, (raw) => new Uint8Array(deflateSync(raw))));
        expect(Array.from(other.data as Uint8Array)).toEqual(Array.from(r.data));
      }
    });
  }

  it('filters a repeated row Up (all zeros), others None; an 8x enlargement compresses as well as unfiltered', async () => {
    const big = enlarge(noise(28, 28, 1, 4), 8);
    const rows = filterRows(big);
    const stride = 224 + 1;
    const filters = Array.from({ length: 224 }, (_, y) => rows[y * stride]);
    expect(filters.filter((f) => f === 0)).toHaveLength(28);
    expect(filters.filter((f) => f === 2)).toHaveLength(224 - 28);
    expect(rows.subarray(1 * stride + 1, 2 * stride).every((v) => v === 0)).toBe(true);
    expect(Array.from(rows.subarray(1, stride))).toEqual(Array.from(big.data.subarray(0, 224)));
    // 50 KB of pixels, 784 of them distinct noise: about 2 KB, within 10% of the same image unfiltered (fast-png)
    const png = await encodePng(big, {});
    expect(png.length).toBeLessThanOrEqual(1.1 * encode({ width: 224, height: 224, channels: 1, depth: 8, data: big.data }).length);
  });

  it('enlarges while it writes: the same bytes as encoding the enlarged raster, repeated source rows included', async () => {
    for (const channels of [1, 3] as const) {
      const r = noise(7, 6, channels, 5);
      // source rows 2 and 3 equal, so an enlarged row 3 repeats the row above it too
      const row = 7 * channels;
      r.data.copyWithin(3 * row, 2 * row, 3 * row);
      for (const scale of [1, 2, 8]) {
        const text = { Software: 'Ascent' };
        expect(await encodePng(r, text, undefined, scale)).toEqual(await encodePng(enlarge(r, scale), text));
        expect(filterRows(r, scale)).toEqual(filterRows(enlarge(r, scale)));
      }
    }
  });
});
