/** The shipped Fashion-MNIST test images (models/data/), bundled with the Worker; parsed once per isolate. */
import bytes from '../../../models/data/fashion-test-samples.bin';
import { readSamples, type Samples } from '../../registry/samples.js';

let parsed: Samples | undefined;

export function bundledSamples(): Samples {
  parsed ??= readSamples(new Uint8Array(bytes));
  return parsed;
}
