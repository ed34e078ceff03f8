/**
 * The limits the result must stay in, besides the value range (./range.ts): a ball of radius eps around the start
 * image (L∞ or L2), and a mask of the pixels allowed to change, given as a rectangle "left,top,right,bottom" or a
 * base64url bitmap (one bit a pixel, row-major, most significant bit first).
 */
import { at, type ImageLayout } from '../../engine/image.js';
import type { Constraints } from '../../engine/constraints.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { encodeBase64Url } from '../../encode/base64url.js';
import { decodeBase64Url } from '../params/base64url.js';
import { ApiProblem, PROBLEM, echo } from '../problem.js';
import type { Entries } from './canonical.js';
import { irrelevant, type Given } from './defaults.js';
import type { Range } from './range.js';

/** One flag per element of a sample; canonical: the bitmap, so a rectangle and the same bitmap share cache entries. */
export function parseMask(value: string, layout: ImageLayout): { mask: Uint8Array; canonical: string } {
  const { height, width, channels } = layout;
  const pixels = new Uint8Array(height * width);
  const rect = /^(\d+),(\d+),(\d+),(\d+)$/.exec(value);
  if (rect) {
    const [left, top, right, bottom] = rect.slice(1).map(Number) as [number, number, number, number];
    if (left >= right || top >= bottom || right > width || bottom > height) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "mask" as a rectangle needs 0 <= left < right <= ${width} and 0 <= top < bottom <= ${height} (got ${echo(value)}).`,
        { parameter: 'mask' });
    }
    for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) pixels[y * width + x] = 1;
  } else {
    const bytes = decodeBase64Url(value, 'mask');
    const need = Math.ceil((height * width) / 8);
    if (bytes.length !== need) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "mask" as a bitmap needs ${need} bytes (${height}x${width} bits) in base64url, got ${bytes.length}.`, { parameter: 'mask' });
    }
    for (let i = 0; i < height * width; i++) pixels[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  }
  const mask = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) mask[at(layout, y, x, c)] = pixels[y * width + x]!;
    }
  }
  const bits = new Uint8Array(Math.ceil((height * width) / 8));
  for (let i = 0; i < height * width; i++) if (pixels[i]) bits[i >> 3]! |= 1 << (7 - (i & 7));
  return { mask, canonical: encodeBase64Url(bits) };
}

export function planConstraints(q: MaximizeQuery, range: Range, given: Given): { constraints: Constraints; entries: Entries } {
  const mask = q.mask !== undefined ? parseMask(q.mask, range.layout) : undefined;
  return {
    constraints: { min: range.min, max: range.max, eps: q.eps, norm: q.norm, ...(mask ? { mask: mask.mask } : {}) },
    entries: [
      ['min', range.min],
      ['max', range.max],
      ...(irrelevant('eps', given) ? [] : [['eps', q.eps], ['norm', q.norm]] as Entries),
      ...(mask ? [['mask', mask.canonical] as [string, string]] : []),
    ],
  };
}
