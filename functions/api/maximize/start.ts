/**
 * Where the search starts: seeded noise (normal, the default; uniform; dark, the low end of the range plus a little
 * noise), a constant (zeros, gray), a shipped test image (sample) or pixels in the URL (x). Start images are built
 * only when the result is computed: a cache hit never needs them. When the start is the preset's (init left out),
 * the preset's fallback starts come with it: the engine moves to them where the gradient is exactly zero.
 */
import { sampleSize } from '../../engine/image.js';
import { rng } from '../../engine/prng.js';
import type { Samples } from '../../registry/samples.js';
import type { ModelInfo } from '../../registry/types.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { encodeBase64Url } from '../../encode/base64url.js';
import { pixelsToInput, samplePixels, urlPixels } from '../pixels.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import type { Entries } from './canonical.js';
import { FALLBACK_STARTS, startOf, type Given } from './defaults.js';
import type { Range } from './range.js';
import { blobStart } from './restart-starts.js';

export interface Start {
  init: string;
  /** canonical entries: init, and the image given (sample or x) */
  entries: Entries;
  /** the start images of `batch` samples, in the model's layout */
  starts(batch: number): Float32Array;
  /** the starts to try where the gradient is exactly zero, in order, and their names */
  fallbacks: string[];
  alternatives(batch: number): Float32Array[];
}

/** Standard deviation of the dark start's half-normal noise, as a fraction of the range. */
export const DARK_NOISE = 0.15;

export function planStart(q: MaximizeQuery, info: ModelInfo, samples: () => Samples | undefined, range: Range, given: Given): Start {
  const init = startOf(given);
  const first = planOne(init, q, info, samples, range);
  const fallbacks = given.init === undefined && q.sample === undefined && q.x === undefined ? [...(FALLBACK_STARTS[init] ?? [])] : [];
  const others = fallbacks.map((name) => planOne(name, q, info, samples, range));
  return { ...first, fallbacks, alternatives: (batch) => others.map((o) => o.starts(batch)) };
}

function planOne(init: string, q: MaximizeQuery, info: ModelInfo, samples: () => Samples | undefined, range: Range): Omit<Start, 'fallbacks' | 'alternatives'> {
  const { layout, grid, min, max } = range;
  const size = sampleSize(layout);
  if (q.sample !== undefined && init !== 'sample') throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" only goes with init=sample (got init=${init}).`, { parameter: 'sample' });
  if (q.x !== undefined && init !== 'image') throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "x" only goes with init=image (got init=${init}).`, { parameter: 'x' });
  const clamp = (v: number) => Math.min(max, Math.max(min, v));
  const filled = (fill: (starts: Float32Array) => void) => (batch: number) => {
    const starts = new Float32Array(batch * size);
    fill(starts);
    return starts;
  };
  // seeded noise: restarts after the first each start from blobs of their own (restart-starts.ts), over the
  // whole range, or its lower half for the dark start
  const noise = (fill: (starts: Float32Array) => void, high = max) => filled((s) => {
    fill(s);
    for (let b = 1; b * size < s.length; b++) blobStart(rng(q.seed + 7919 * b), layout, b, min, high, s.subarray(b * size, (b + 1) * size));
  });
  const entries: Entries = [['init', init]];
  if (init === 'zeros' || init === 'gray') {
    const v = clamp(init === 'zeros' ? 0 : (grid.min + grid.max) / 2);
    return { init, entries, starts: filled((s) => s.fill(v)) };
  }
  if (init === 'dark') {
    // the low end of the range plus half-normal noise: dark, as most training backgrounds, but not flat
    return {
      init, entries, starts: noise((s) => {
        const random = rng(q.seed);
        for (let i = 0; i < s.length; i++) s[i] = clamp(min + (max - min) * Math.abs(DARK_NOISE * random.normal()));
      }, (min + max) / 2),
    };
  }
  if (init === 'uniform') {
    return {
      init, entries, starts: noise((s) => {
        const random = rng(q.seed);
        for (let i = 0; i < s.length; i++) s[i] = min + random.next() * (max - min);
      }),
    };
  }
  if (init === 'normal') {
    // mid-range plus Gaussian noise of std range/6, clamped
    return {
      init, entries, starts: noise((s) => {
        const random = rng(q.seed);
        for (let i = 0; i < s.length; i++) s[i] = clamp((min + max) / 2 + ((max - min) / 6) * random.normal());
      }),
    };
  }
  let pixels: Uint8Array;
  if (init === 'sample') {
    if (q.sample === undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'init=sample needs "sample", the index of a test image.', { parameter: 'sample' });
    pixels = samplePixels(samples(), q.sample, layout, info.id);
    entries.push(['sample', q.sample]);
  } else {
    if (q.x === undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'init=image needs "x", the start image as base64url 8-bit pixels.', { parameter: 'x' });
    pixels = urlPixels(q.x, layout);
    entries.push(['x', encodeBase64Url(pixels)]);
  }
  const image = pixelsToInput(pixels, layout, grid);
  return { init, entries, starts: filled((s) => { for (let o = 0; o < s.length; o += size) s.set(image, o); }) };
}
