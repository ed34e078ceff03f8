/**
 * Starts of restarts after the first. Restarts from fine pixel noise of the same kind end on nearly the same
 * image (fine noise averages out within a few steps), so restart b >= 1 starts from a coarse pattern of its own:
 * a grid of a few seeded cells, bilinearly enlarged to the image and thresholded into blobs at two levels (the
 * low end and the top of the start's span). Large regions of another sign put the model's units in another
 * state, and the search ends elsewhere. Restart 0 keeps the start of a single run.
 */
import { at, type ImageLayout } from '../../engine/image.js';
import type { Rng } from '../../engine/prng.js';

/** Cells across restart b's pattern (3, 4, 5, 6, 3, ...): the restarts' blobs differ in size too. */
export const cellsOf = (b: number) => 3 + ((b - 1) % 4);

/** Fills one sample with restart b's blobs: `low` where the enlarged grid is under 1/2, `high` elsewhere. */
export function blobStart(random: Rng, layout: ImageLayout, b: number, low: number, high: number, out: Float32Array): void {
  const cells = cellsOf(b);
  const { height: h, width: w, channels } = layout;
  for (let c = 0; c < channels; c++) {
    const grid = Float64Array.from({ length: (cells + 1) * (cells + 1) }, () => random.next());
    const g = (yy: number, xx: number) => grid[yy * (cells + 1) + xx]!;
    for (let y = 0; y < h; y++) {
      const gy = (y / Math.max(1, h - 1)) * cells;
      const y0 = Math.min(cells - 1, Math.floor(gy));
      const fy = gy - y0;
      for (let x = 0; x < w; x++) {
        const gx = (x / Math.max(1, w - 1)) * cells;
        const x0 = Math.min(cells - 1, Math.floor(gx));
        const fx = gx - x0;
        const v = (1 - fy) * ((1 - fx) * g(y0, x0) + fx * g(y0, x0 + 1)) + fy * ((1 - fx) * g(y0 + 1, x0) + fx * g(y0 + 1, x0 + 1));
        out[at(layout, y, x, c)] = v < 0.5 ? low : high;
      }
    }
  }
}
