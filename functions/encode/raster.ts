/**
 * 8-bit rasters: images as rows of pixels with 1 (gray) or 3 (RGB) channels, and the operations the API needs
 * before encoding: colour mapping, nearest-neighbour enlargement, and tiling several images into a grid.
 */
import { lut, type ColormapName } from './colormap.js';

export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  /** row-major, channels interleaved */
  data: Uint8Array;
}

/** Applies a colour map to a gray raster (RGB rasters are returned unchanged). */
export function colorize(r: Raster, map: ColormapName): Raster {
  const table = lut(map);
  if (!table || r.channels === 3) return r;
  const data = new Uint8Array(r.width * r.height * 3);
  for (let i = 0; i < r.width * r.height; i++) {
    const v = r.data[i]!;
    data[3 * i] = table[3 * v]!;
    data[3 * i + 1] = table[3 * v + 1]!;
    data[3 * i + 2] = table[3 * v + 2]!;
  }
  return { width: r.width, height: r.height, channels: 3, data };
}

/** Nearest-neighbour enlargement by an integer factor (pixels stay crisp): each row is widened once, then repeated. */
export function enlarge(r: Raster, scale: number): Raster {
  if (scale === 1) return r;
  const width = r.width * scale;
  const height = r.height * scale;
  const c = r.channels;
  const row = width * c;
  const data = new Uint8Array(height * row);
  for (let sy = 0; sy < r.height; sy++) {
    const o = sy * scale * row;
    let at = o;
    for (let sx = 0; sx < r.width; sx++) {
      const src = (sy * r.width + sx) * c;
      for (let d = 0; d < scale; d++) for (let k = 0; k < c; k++) data[at++] = r.data[src + k]!;
    }
    for (let d = 1; d < scale; d++) data.copyWithin(o + d * row, o, o + row);
  }
  return { width, height, channels: r.channels, data };
}

/** Tiles equally sized rasters into a grid with `gap` pixels of `background` between them. */
export function tile(rasters: Raster[], columns: number, gap: number, background = 255): Raster {
  const first = rasters[0]!;
  const rows = Math.ceil(rasters.length / columns);
  const width = columns * first.width + (columns - 1) * gap;
  const height = rows * first.height + (rows - 1) * gap;
  const c = first.channels;
  const data = new Uint8Array(width * height * c).fill(background);
  rasters.forEach((r, i) => {
    const ox = (i % columns) * (first.width + gap);
    const oy = Math.floor(i / columns) * (first.height + gap);
    for (let y = 0; y < r.height; y++) {
      data.set(r.data.subarray(y * r.width * c, (y + 1) * r.width * c), ((oy + y) * width + ox) * c);
    }
  });
  return { width, height, channels: c, data };
}
