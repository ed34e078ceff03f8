/**
 * The result image is 8-bit: what a PNG holds and what a user gets. Levels 0..255 span the model's input range
 * (the grid). Quantizing must not break the constraints: levels are kept inside the allowed range, and when
 * rounding to the nearest level would leave the eps-ball, the value is rounded toward the start image instead
 * (start images are snapped to the grid before the search, so that stays inside the ball).
 */
import type { Constraints } from './constraints.js';

export interface Grid {
  min: number;
  max: number;
}

/** Nearest level (0..255) of value v on the grid. */
export function level(v: number, g: Grid): number {
  const q = Math.round(((v - g.min) / (g.max - g.min)) * 255);
  return q < 0 ? 0 : q > 255 ? 255 : q;
}

export const valueOf = (q: number, g: Grid) => g.min + (q / 255) * (g.max - g.min);

/** Snaps elements [o, o + size) of x to the grid in place (for start images). */
export function snap(x: Float32Array, g: Grid, o: number, size: number): void {
  for (let i = o; i < o + size; i++) x[i] = valueOf(level(x[i]!, g), g);
}

/** Quantizes sample `o` of x in place; returns its levels. */
export function quantize(g: Grid, c: Constraints, x: Float32Array, x0: Float32Array, o: number, size: number): Uint8Array {
  const step = (g.max - g.min) / 255;
  const lowest = Math.max(0, Math.ceil((c.min - g.min) / step - 1e-6));
  const highest = Math.min(255, Math.floor((c.max - g.min) / step + 1e-6));
  const clampLevel = (q: number) => (q < lowest ? lowest : q > highest ? highest : q);
  const levels = new Uint8Array(size);
  for (let i = 0; i < size; i++) levels[i] = clampLevel(level(x[o + i]!, g));
  if (c.eps > 0) {
    const towardStart = (i: number) => {
      const exact = (x[o + i]! - g.min) / step;
      const start = level(x0[o + i]!, g);
      return clampLevel(exact >= start ? Math.max(start, Math.floor(exact + 1e-6)) : Math.min(start, Math.ceil(exact - 1e-6)));
    };
    if (c.norm === 'linf') {
      for (let i = 0; i < size; i++) {
        if (Math.abs(valueOf(levels[i]!, g) - x0[o + i]!) > c.eps + 1e-7) levels[i] = towardStart(i);
      }
    } else {
      let sq = 0;
      for (let i = 0; i < size; i++) sq += (valueOf(levels[i]!, g) - x0[o + i]!) ** 2;
      if (Math.sqrt(sq) > c.eps + 1e-7) for (let i = 0; i < size; i++) levels[i] = towardStart(i);
    }
  }
  if (c.mask) for (let i = 0; i < size; i++) if (!c.mask[i]) levels[i] = level(x0[o + i]!, g);
  for (let i = 0; i < size; i++) x[o + i] = valueOf(levels[i]!, g);
  return levels;
}
