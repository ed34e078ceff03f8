/**
 * Baselines: the "absence of signal" an attribution is measured against (Integrated Gradients, gradient x
 * (input - baseline)). Sturmfels, Lundberg & Lee, "Visualizing the Impact of Feature Attribution Baselines"
 * (Distill 2020) compare these:
 *   black    the range minimum everywhere (Sundararajan et al. 2017's black image)
 *   gray     the middle of the range
 *   blur     the input blurred by a Gaussian, sigma = 10 px at 224 px (Fong & Vedaldi 2017) scaled to the image
 *   uniform  seeded uniform noise over the range
 */
import { sampleSize, type ImageLayout } from '../engine/image.js';
import { rng } from '../engine/prng.js';
import { blur } from '../engine/regularizers.js';
import type { BaselineName } from './types.js';

/** The blur baseline's sigma in pixels for an image of this size. */
export const blurSigma = (layout: ImageLayout) => (10 / 224) * Math.max(layout.height, layout.width);

export function baseline(name: BaselineName, layout: ImageLayout, range: { min: number; max: number }, x: Float32Array, seed: number): Float32Array {
  const size = sampleSize(layout);
  const b = new Float32Array(size);
  switch (name) {
    case 'black':
      return b.fill(range.min);
    case 'gray':
      return b.fill((range.min + range.max) / 2);
    case 'blur':
      b.set(x.subarray(0, size));
      blur(layout, b, 0, blurSigma(layout));
      return b;
    case 'uniform': {
      const random = rng(seed ^ 0xba5e);
      for (let i = 0; i < size; i++) b[i] = range.min + random.next() * (range.max - range.min);
      return b;
    }
  }
}
