/**
 * The size estimates that memory and response limits check are bounds on what is really made: the grid the
 * renderer lays out, and the PNG body of incompressible pixels (the worst case for deflate).
 */
import { describe, expect, it } from 'vitest';
import { gridSide, pngOutput } from '../../../functions/budget/output.js';
import { encodePng } from '../../../functions/encode/png.js';
import { colorize, enlarge, tile, type Raster } from '../../../functions/encode/raster.js';

/** A 28x28 raster of noise from a fixed linear congruential sequence. */
function noise(seed: number): Raster {
  const data = new Uint8Array(28 * 28);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { width: 28, height: 28, channels: 1, data };
}

describe('output sizes', () => {
  it.each([[1, 8, false], [9, 4, true], [16, 2, false], [5, 3, true]])('%i images at scale %i (colour %s): the grid and a PNG of noise fit the estimate', async (images, scale, colour) => {
    const tiles = Array.from({ length: images }, (_, i) => enlarge(colorize(noise(i + 1), colour ? 'viridis' : 'gray'), scale));
    const grid = images === 1 ? tiles[0]! : tile(tiles, Math.ceil(Math.sqrt(images)), Math.max(2, scale));
    expect(gridSide({ height: 28, width: 28, channels: 1 }, images, scale)).toEqual({ width: grid.width, height: grid.height });
    const png = await encodePng(grid, { Software: 'Ascent', Comment: `/api/v1/maximize?${'x'.repeat(400)}` });
    expect(png.byteLength).toBeLessThanOrEqual(pngOutput(grid.width * grid.height, colour ? 3 : 1).responseBytes);
  });
});
