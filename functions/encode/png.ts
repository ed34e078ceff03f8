/**
 * PNG encoding and decoding (fast-png). Encoding is deterministic (no timestamps), and the result's parameters
 * ride along in a tEXt chunk so a saved image says how it was made.
 */
import { decode, encode } from 'fast-png';
import type { Raster } from './raster.js';

export function encodePng(r: Raster, text: Record<string, string> = {}): Uint8Array<ArrayBuffer> {
  return encode({ width: r.width, height: r.height, data: r.data, channels: r.channels, depth: 8, text }) as Uint8Array<ArrayBuffer>;
}

/** Decodes a PNG into an 8-bit gray or RGB raster (alpha is ignored); throws an Error saying why it cannot. */
export function decodePng(bytes: Uint8Array, maxPixels: number): Raster {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new Error(`not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, channels } = png;
  if (width * height > maxPixels) throw new Error(`the PNG is ${width}x${height}; at most ${maxPixels} pixels are accepted`);
  let data = png.data as Uint8Array | Uint16Array;
  if (png.palette) throw new Error('palette (indexed-colour) PNGs are not supported; save it as grayscale or RGB');
  const depth = png.depth;
  const to8 = (v: number) => (depth === 16 ? v >> 8 : depth < 8 ? Math.round((v * 255) / ((1 << depth) - 1)) : v);
  const colour = channels >= 3;
  const out = new Uint8Array(width * height * (colour ? 3 : 1));
  for (let i = 0; i < width * height; i++) {
    if (colour) for (let c = 0; c < 3; c++) out[3 * i + c] = to8(data[i * channels + c]!);
    else out[i] = to8(data[i * channels]!);
  }
  data = out;
  return { width, height, channels: colour ? 3 : 1, data: out };
}
