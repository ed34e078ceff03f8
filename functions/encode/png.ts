/**
 * PNG encoding (Ascent's own chunk writer over a zlib compressor) and decoding (fast-png). Encoding is
 * deterministic (no timestamps; the same compressor gives the same bytes), and the result's parameters ride along
 * in a tEXt chunk so a saved image says how it was made.
 *
 * Filters (PNG spec, section 9): a row equal to the row above is filtered Up (all zeros), any other row is
 * stored as it is (None): the pictures are nearest-neighbour enlargements, whose rows repeat, so 7 of 8 rows are
 * zeros the compressor passes over quickly. The compressor is the host's (workerd: its native zlib) or fflate.
 */
import { decode } from 'fast-png';
import { zlibSync } from 'fflate';
import type { Raster } from './raster.js';

/** A zlib stream (RFC 1950) of `raw`, what a PNG's IDAT holds. Hosts may bring a native one (workerd: CompressionStream). */
export type Deflate = (raw: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** zlib in JavaScript (fflate), for hosts without a native compressor */
export const fflateDeflate: Deflate = (raw) => zlibSync(raw, { level: 3 });

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

// CRC-32 of the PNG spec (ISO 3309, polynomial 0xedb88320, reflected), one table lookup per byte
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The filtered scanlines: a filter byte, then the row (Up when it repeats the row above, else None). */
export function filterRows(r: Raster): Uint8Array {
  const stride = r.width * r.channels;
  const d = r.data;
  const out = new Uint8Array(r.height * (stride + 1));
  for (let y = 0; y < r.height; y++) {
    const o = y * (stride + 1);
    const row = y * stride;
    let repeats = y > 0;
    for (let i = 0; repeats && i < stride; i++) repeats = d[row + i] === d[row - stride + i];
    if (repeats) {
      out[o] = 2;
      continue;
    }
    out.set(d.subarray(row, row + stride), o + 1);
  }
  return out;
}

const latin1 = (s: string) => Uint8Array.from(s, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 63));

/** An 8-bit gray or RGB PNG of `r`, with `text` as tEXt chunks (keyword, NUL, Latin-1 text). */
export async function encodePng(r: Raster, text: Record<string, string> = {}, deflate: Deflate = fflateDeflate): Promise<Uint8Array<ArrayBuffer>> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, r.width);
  view.setUint32(4, r.height);
  header[8] = 8; // bit depth
  header[9] = r.channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', header),
    ...Object.entries(text).map(([k, v]) => chunk('tEXt', latin1(`${k}\0${v}`))),
    chunk('IDAT', await deflate(filterRows(r))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decodes a PNG into an 8-bit gray or RGB raster (alpha is ignored), with its text chunks; throws an Error saying
 * why it cannot.
 */
export function decodePng(bytes: Uint8Array, maxPixels: number): Raster & { text: Record<string, string> } {
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
  return { width, height, channels: colour ? 3 : 1, data: out, text: { ...(png.text ?? {}) } };
}
