/** models/data/fashion-test-samples.bin holds the first 100 test images of each class, readable by readSamples. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeSamples, readSamples } from '../../../functions/registry/samples.js';
import { CLASSES, PIXELS, TEST_PER_CLASS, loadTestSplit } from '../../../models/train/data.js';
import { MODELS_DIR } from './paths.js';

describe('fashion-test-samples.bin', () => {
  const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}data/fashion-test-samples.bin`));

  it('parses: 1,000 images of 28x28, 100 per class, sorted by class', () => {
    const s = readSamples(bytes);
    expect(s.count).toBe(1000);
    expect([s.height, s.width]).toEqual([28, 28]);
    expect(s.labels.length).toBe(1000);
    expect(s.pixels.length).toBe(1000 * PIXELS);
    for (let i = 0; i < s.count; i++) expect(s.labels[i]).toBe(Math.floor(i / 100));
  });

  it('holds the first 100 test images of each class', () => {
    const s = readSamples(bytes);
    const test = loadTestSplit();
    for (let c = 0; c < CLASSES; c++) {
      const from = c * TEST_PER_CLASS;
      const expected = test.images.subarray(from * PIXELS, (from + 100) * PIXELS);
      const actual = s.pixels.subarray(c * 100 * PIXELS, (c + 1) * 100 * PIXELS);
      expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
      expect([...test.labels.subarray(from, from + 100)].every((l) => l === c)).toBe(true);
    }
  });

  it('round-trips through encodeSamples and rejects damaged files', () => {
    const s = readSamples(bytes);
    expect(Buffer.from(encodeSamples(s)).equals(Buffer.from(bytes))).toBe(true);
    expect(() => readSamples(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes/);
    const bad = bytes.slice();
    bad[0] = 0x78;
    expect(() => readSamples(bad)).toThrow(/magic/);
    expect(() => readSamples(new Uint8Array(3))).toThrow(/short/);
  });

  it('works on a view into a larger buffer', () => {
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    const s = readSamples(padded.subarray(3, 3 + bytes.length));
    expect(s.count).toBe(1000);
    expect(s.labels[999]).toBe(9);
  });
});
