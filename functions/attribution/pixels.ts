/**
 * One value per pixel from a map over the input's elements, for pictures: the channels are summed (as Captum's
 * visualize_image_attr does), so a colour image gives one heatmap.
 */
import { at, type ImageLayout } from '../engine/image.js';
import type { Attribution } from './types.js';

export function pixelValues(a: Attribution, layout: ImageLayout): Float32Array {
  if (a.perPixel || layout.channels === 1) return a.values;
  const { height, width, channels } = layout;
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += a.values[at(layout, y, x, c)]!;
      out[y * width + x] = s;
    }
  }
  return out;
}
