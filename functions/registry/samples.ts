/**
 * The shipped test images (start points for sample=, the site's picker) and their class names.
 *
 * Reader and writer of models/data/fashion-test-samples.bin, a compact set of labelled test images (format in
 * models/README.md):
 *
 *   8 bytes   magic "ASCENTS1"
 *   u32 LE    count
 *   u32 LE    height
 *   u32 LE    width
 *   count x   [u8 label][height * width u8 pixels, row-major, 0..255]
 *
 * Pure: no Node or browser APIs, so it also runs in Cloudflare Workers.
 */

/** Class names of the shipped test images (Fashion-MNIST), by label index. */
export const SAMPLE_LABELS: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export const SAMPLES_MAGIC = 'ASCENTS1';
export const SAMPLES_HEADER_BYTES = 20;

export interface Samples {
  count: number;
  height: number;
  width: number;
  /** count labels */
  labels: Uint8Array;
  /** count * height * width pixels 0..255, image after image */
  pixels: Uint8Array;
}

export function readSamples(bytes: Uint8Array): Samples {
  if (bytes.byteLength < SAMPLES_HEADER_BYTES) throw new Error(`samples file too short (${bytes.byteLength} bytes)`);
  for (let i = 0; i < SAMPLES_MAGIC.length; i++) {
    if (bytes[i] !== SAMPLES_MAGIC.charCodeAt(i)) throw new Error(`not a samples file (magic "${SAMPLES_MAGIC}" missing)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(8, true);
  const height = view.getUint32(12, true);
  const width = view.getUint32(16, true);
  if (height === 0 || width === 0 || height > 4096 || width > 4096) throw new Error(`samples file has bad image size ${height}x${width}`);
  const size = height * width;
  const expected = SAMPLES_HEADER_BYTES + count * (1 + size);
  if (bytes.byteLength !== expected) {
    throw new Error(`samples file has ${bytes.byteLength} bytes; ${count} images of ${height}x${width} need ${expected}`);
  }
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * size);
  let at = SAMPLES_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    labels[i] = bytes[at]!;
    pixels.set(bytes.subarray(at + 1, at + 1 + size), i * size);
    at += 1 + size;
  }
  return { count, height, width, labels, pixels };
}

/** The inverse of readSamples. */
export function encodeSamples(s: Samples): Uint8Array {
  const size = s.height * s.width;
  if (s.labels.length !== s.count || s.pixels.length !== s.count * size) throw new Error('samples: labels/pixels do not match count');
  const out = new Uint8Array(SAMPLES_HEADER_BYTES + s.count * (1 + size));
  for (let i = 0; i < SAMPLES_MAGIC.length; i++) out[i] = SAMPLES_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, s.count, true);
  view.setUint32(12, s.height, true);
  view.setUint32(16, s.width, true);
  let at = SAMPLES_HEADER_BYTES;
  for (let i = 0; i < s.count; i++) {
    out[at] = s.labels[i]!;
    out.set(s.pixels.subarray(i * size, (i + 1) * size), at + 1);
    at += 1 + size;
  }
  return out;
}
