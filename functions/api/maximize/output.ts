/** What to encode a maximize result as: the format and the PNG options, and the same result in the other format. */
import type { ColormapName } from '../../encode/colormap.js';
import type { ImageLayout } from '../../engine/image.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { defaultColormap, defaultScale } from './defaults.js';

export interface OutputSpec {
  format: 'png' | 'json';
  scale: number;
  colormap: ColormapName;
  view: 'image' | 'delta';
  pick: 'best' | 'all';
}

/**
 * The output asked for, and its twin: the same computation in the other format with default output settings,
 * cached alongside (the playground streams the JSON, then shows the image).
 */
export function planOutput(q: MaximizeQuery, layout: ImageLayout): { output: OutputSpec; twin: OutputSpec } {
  const scale = defaultScale(layout.height, layout.width);
  const output: OutputSpec = { format: q.format, scale: q.scale ?? scale, colormap: q.colormap ?? defaultColormap(q.view), view: q.view, pick: q.pick };
  const twin: OutputSpec = q.format === 'png'
    ? { ...output, format: 'json' }
    : { format: 'png', scale, colormap: 'gray', view: 'image', pick: q.pick };
  return { output, twin };
}
