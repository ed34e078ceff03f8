/**
 * PNG encoding (Ascent's own chunk writer over a zlib compressor) and decoding (fast-png). Encoding is
 * deterministic (no timestamps; the same compressor gives the same bytes), and the result's parameters ride along
 * in a tEXt chunk so a saved image says how it was made.
 *
 * Filters (PNG spec, section 9): a row equal to the row above is filtered Up (all zeros), any other row is
 * stored as it is (None): the pictures are nearest-neighbour enlargements, whose rows repeat, so 7 of 8 rows are
 * zeros the compressor passes over quickly. The compressor is the host's (workerd: its native zlib) or fflate.
 *
 * Decoding checks sizes before it spends memory: the header (IHDR) is read first and the pixel count checked
 * against the caller's limit, then the image data is inflated once in small steps, counting and discarding the
 * output, to prove it holds no more than the header's size (a "zip bomb" of a few hundred KB can inflate to
 * gigabytes); only then does fast-png decode it. Ancillary chunks but tEXt are dropped before fast-png sees them
 * (iCCP profiles and zTXt are compressed too, and nothing here reads them).
 */
import { decode } from 'fast-png';
import { Unzlib, zlibSync } from 'fflate';
import { concatBytes } from './bytes.js';
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

/** One chunk: length, type, data, CRC of type and data (PNG spec, 5.3). */
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * The filtered scanlines of `r` enlarged `scale` times (nearest neighbour, as raster.ts enlarge): a filter byte,
 * then the row, Up (all zeros) when it repeats the row above, else None. Written from the small raster: the
 * repeated rows of an enlargement are never built, only compared once per source row.
 */
export function filterRows(r: Raster, scale = 1, into?: Uint8Array): Uint8Array {
  const c = r.channels;
  const small = r.width * c;
  const stride = small * scale;
  const d = r.data;
  const size = r.height * scale * (stride + 1);
  const out = into ? into.subarray(0, size).fill(0) : new Uint8Array(size);
  for (let sy = 0; sy < r.height; sy++) {
    const row = sy * small;
    let repeats = sy > 0;
    for (let i = 0; repeats && i < small; i++) repeats = d[row + i] === d[row - small + i];
    const o = sy * scale * (stride + 1);
    if (repeats) out[o] = 2;
    else {
      let at = o + 1;
      for (let sx = 0; sx < r.width; sx++) {
        const src = row + sx * c;
        for (let k = 0; k < scale; k++) for (let ch = 0; ch < c; ch++) out[at++] = d[src + ch]!;
      }
    }
    // the other rows of an enlarged source row repeat it
    for (let k = 1; k < scale; k++) out[o + k * (stride + 1)] = 2;
  }
  return out;
}

/** Latin-1 bytes of a string: one byte per code point, "?" for those above 255 (a surrogate pair is one "?"). */
function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    out[n++] = code < 256 ? code : 63;
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) i++;
    }
  }
  return out.subarray(0, n);
}

/**
 * An 8-bit gray or RGB PNG of `r` enlarged `scale` times (the same bytes as encoding raster.ts `enlarge(r, scale)`),
 * with `text` as tEXt chunks (keyword, NUL, Latin-1 text).
 */
export async function encodePng(r: Raster, text: Record<string, string> = {}, deflate: Deflate = fflateDeflate, scale = 1): Promise<Uint8Array<ArrayBuffer>> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, r.width * scale);
  view.setUint32(4, r.height * scale);
  header[8] = 8; // bit depth
  header[9] = r.channels === 3 ? 2 : 0; // colour type: truecolour or greyscale
  return pngFile(
    chunk('IHDR', header),
    ...Object.entries(text).map(([k, v]) => chunk('tEXt', latin1(`${k}\0${v}`))),
    chunk('IDAT', await deflateRows(r, scale, deflate)),
    chunk('IEND', new Uint8Array(0)),
  );
}

/**
 * Buffers for the filtered rows, used again by the next image: a fresh buffer of tens of KB costs the process
 * fresh memory pages on every request. One per image being compressed (requests interleave at the compressor).
 */
const spare: Uint8Array[] = [];
const SPARE_BYTES = 1 << 20;

async function deflateRows(r: Raster, scale: number, deflate: Deflate): Promise<Uint8Array> {
  const size = r.height * scale * (r.width * r.channels * scale + 1);
  if (size > SPARE_BYTES) return deflate(filterRows(r, scale));
  const i = spare.findIndex((b) => b.length >= size);
  const buffer = i >= 0 ? spare.splice(i, 1)[0]! : new Uint8Array(Math.max(size, 64 * 1024));
  const out = await deflate(filterRows(r, scale, buffer));
  // a compressor may have taken the buffer over (detached): then it is not used again
  if (buffer.byteLength > 0 && spare.length < 4) spare.push(buffer);
  return out;
}

/** A PNG file: the signature, then the chunks. */
export function pngFile(...chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return concatBytes(Uint8Array.from(SIGNATURE), ...chunks);
}

export interface PngHeader {
  width: number;
  height: number;
  /** bits per sample: 1, 2, 4, 8 or 16 */
  depth: number;
  /** PNG colour type: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA */
  colorType: number;
  interlaced: boolean;
}

/** A PNG that cannot be read, with the reason. */
export class PngError extends Error {
  override name = 'PngError';
}

/** Samples per pixel by colour type, and the bit depths each allows (PNG spec, 11.2.2 IHDR). */
const COLOR_TYPES: Record<number, { samples: number; depths: number[] }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { samples: 3, depths: [8, 16] },
  3: { samples: 1, depths: [1, 2, 4, 8] },
  4: { samples: 2, depths: [8, 16] },
  6: { samples: 4, depths: [8, 16] },
};

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const typeAt = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

interface Chunk {
  type: string;
  /** offset of the whole chunk (length field) and of its data */
  start: number;
  data: number;
  length: number;
}

/** The chunks of a PNG, bounds-checked (no data is copied). */
function chunks(bytes: Uint8Array): Chunk[] {
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v)) throw new PngError('it does not start with the PNG signature');
  const out: Chunk[] = [];
  let o = 8;
  for (;;) {
    if (o + 12 > bytes.length) throw new PngError('it ends inside a chunk (no IEND)');
    const length = u32(bytes, o);
    if (length > bytes.length - o - 12) throw new PngError(`a chunk declares ${length} bytes, more than the file holds`);
    const chunk = { type: typeAt(bytes, o + 4), start: o, data: o + 8, length };
    out.push(chunk);
    o += 12 + length;
    if (chunk.type === 'IEND') return out;
  }
}

function header(bytes: Uint8Array, list: Chunk[]): PngHeader {
  const ihdr = list[0]!;
  if (ihdr.type !== 'IHDR' || ihdr.length !== 13) throw new PngError('its first chunk is not a 13-byte IHDR header');
  const o = ihdr.data;
  const width = u32(bytes, o);
  const height = u32(bytes, o + 4);
  const [depth, colorType, compression, filter, interlace] = [bytes[o + 8]!, bytes[o + 9]!, bytes[o + 10]!, bytes[o + 11]!, bytes[o + 12]!];
  if (width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) throw new PngError(`its header declares ${width}x${height} pixels`);
  const type = COLOR_TYPES[colorType];
  if (!type) throw new PngError(`its colour type ${colorType} does not exist`);
  if (!type.depths.includes(depth)) throw new PngError(`bit depth ${depth} is not allowed with colour type ${colorType}`);
  if (compression !== 0 || filter !== 0 || interlace > 1) throw new PngError('its header names an unknown compression, filter or interlace method');
  return { width, height, depth, colorType, interlaced: interlace === 1 };
}

/** Reads and checks a PNG's header without decoding anything else. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  return header(bytes, chunks(bytes));
}

/** Bytes of the decompressed image data the header implies: per row a filter byte and the packed samples. */
export function inflatedSize(h: PngHeader): number {
  const bits = COLOR_TYPES[h.colorType]!.samples * h.depth;
  const rows = (width: number, height: number) => (width && height ? height * (1 + Math.ceil((width * bits) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  // Adam7 passes: (x start, y start, x step, y step) (PNG spec, 8.2)
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/** Inflates the concatenated IDAT data in small steps, counting the output; throws past `limit` bytes. */
function checkInflated(bytes: Uint8Array, idat: Chunk[], limit: number): void {
  let total = 0;
  const inflater = new Unzlib((out) => {
    total += out.length;
    if (total > limit) throw new PngError(`its image data inflates to more than the ${limit} bytes its header declares`);
  });
  // one deflate byte inflates to at most about 1 KB, so a 1 KB step keeps each step's output near 1 MB
  const step = 1024;
  try {
    for (let c = 0; c < idat.length; c++) {
      const { data, length } = idat[c]!;
      for (let o = 0; o < length || (length === 0 && o === 0); o += step) {
        const last = c === idat.length - 1 && o + step >= length;
        inflater.push(bytes.subarray(data + o, data + Math.min(length, o + step)), last);
      }
    }
  } catch (e) {
    if (e instanceof PngError) throw e;
    throw new PngError(`its image data is not valid zlib data (${(e as Error).message})`);
  }
}

/** The critical chunks (IHDR, PLTE, IDAT, IEND) and the uncompressed text (tEXt), copied into a new PNG. */
function criticalOnly(bytes: Uint8Array, list: Chunk[]): Uint8Array {
  const keep = list.filter((c) => ['IHDR', 'PLTE', 'IDAT', 'IEND', 'tEXt'].includes(c.type));
  const out = new Uint8Array(8 + keep.reduce((n, c) => n + 12 + c.length, 0));
  out.set(bytes.subarray(0, 8));
  let o = 8;
  for (const c of keep) {
    out.set(bytes.subarray(c.start, c.start + 12 + c.length), o);
    o += 12 + c.length;
  }
  return out;
}

/**
 * Decodes a PNG into an 8-bit gray or RGB raster (alpha is ignored), with its text (tEXt) chunks. Throws a
 * PngError saying why it cannot, before allocating for images of more than `maxPixels` pixels or image data that
 * inflates beyond its header.
 */
export function decodePng(bytes: Uint8Array, maxPixels: number): Raster & { text: Record<string, string> } {
  const list = chunks(bytes);
  const h = header(bytes, list);
  if (h.width * h.height > maxPixels) throw new PngError(`the PNG is ${h.width}x${h.height}; at most ${maxPixels} pixels are accepted`);
  if (h.colorType === 3) throw new PngError('palette (indexed-colour) PNGs are not supported; save it as grayscale or RGB');
  const idat = list.filter((c) => c.type === 'IDAT');
  if (idat.length === 0) throw new PngError('it has no image data (IDAT)');
  checkInflated(bytes, idat, inflatedSize(h));
  let png: ReturnType<typeof decode>;
  try {
    png = decode(criticalOnly(bytes, list));
  } catch (e) {
    throw new PngError(`it is not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, channels } = png;
  const data = png.data as Uint8Array | Uint16Array;
  const depth = png.depth;
  if (width !== h.width || height !== h.height || data.length < width * height * channels) throw new PngError('its image data does not match its header');
  const to8 = (v: number) => (depth === 16 ? v >> 8 : depth < 8 ? Math.round((v * 255) / ((1 << depth) - 1)) : v);
  const colour = channels >= 3;
  const out = new Uint8Array(width * height * (colour ? 3 : 1));
  for (let i = 0; i < width * height; i++) {
    if (colour) for (let c = 0; c < 3; c++) out[3 * i + c] = to8(data[i * channels + c]!);
    else out[i] = to8(data[i * channels]!);
  }
  return { width, height, channels: colour ? 3 : 1, data: out, text: { ...(png.text ?? {}) } };
}
