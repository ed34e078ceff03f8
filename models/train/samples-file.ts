/** Builds models/data/fashion-test-samples.bin: the first SAMPLES_PER_CLASS test images of each class. */
import { encodeSamples, type Samples } from '../../functions/registry/samples.js';
import { CLASSES, HEIGHT, PIXELS, TEST_PER_CLASS, WIDTH, type Split } from './data.js';

export const SAMPLES_PER_CLASS = 100;

/** `test` is the class-sorted test split (TEST_PER_CLASS images per class). */
export function testSamples(test: Split, perClass = SAMPLES_PER_CLASS): Samples {
  const count = CLASSES * perClass;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * PIXELS);
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < perClass; i++) {
      const from = c * TEST_PER_CLASS + i;
      if (test.labels[from] !== c) throw new Error('the test split is not sorted by class');
      labels[c * perClass + i] = c;
      pixels.set(test.images.subarray(from * PIXELS, (from + 1) * PIXELS), (c * perClass + i) * PIXELS);
    }
  }
  return { count, height: HEIGHT, width: WIDTH, labels, pixels };
}

export function testSamplesFile(test: Split): Uint8Array {
  return encodeSamples(testSamples(test));
}
