/**
 * What to encode a maximize result as: the format, the image options (PNG and GIF), the animation of a GIF, and
 * the same result in another format.
 */
import type { ColormapName } from '../../encode/colormap.js';
import type { FrameSpacing } from '../../encode/frames.js';
import type { ImageLayout } from '../../engine/image.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { defaultColormap, defaultFrames, defaultScale } from './defaults.js';

export interface OutputSpec {
  format: 'png' | 'json' | 'gif';
  scale: number;
  colormap: ColormapName;
  view: 'image' | 'delta';
  pick: 'best' | 'all';
  /** format=gif: how many frames, at which steps, with or without caption */
  animation?: { frames: number; spacing: FrameSpacing; caption: boolean };
}

/** The animation of a GIF; its parameters are refused with other formats (they would change nothing). */
function planAnimation(q: MaximizeQuery, steps: number): OutputSpec['animation'] {
  if (q.format !== 'gif') {
    for (const name of ['frames', 'frame_spacing', 'caption'] as const) {
      if (q[name] !== undefined) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${name}" only goes with format=gif (got format=${q.format}).`, { parameter: name });
    }
    return undefined;
  }
  const frames = q.frames ?? defaultFrames(steps);
  if (frames > steps + 1) {
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "frames" must be at most steps + 1 = ${steps + 1} (each frame is a different step; got ${frames}).`,
      { parameter: 'frames', allowed: { minimum: 2, maximum: steps + 1 } });
  }
  return { frames, spacing: q.frame_spacing ?? 'log', caption: q.caption !== '0' };
}

/**
 * The output asked for, and its twin: the same computation in the other format with default output settings,
 * cached alongside (the playground streams the JSON, then shows the image).
 */
export function planOutput(q: MaximizeQuery, layout: ImageLayout, steps: number): { output: OutputSpec; twin: OutputSpec } {
  const scale = defaultScale(layout.height, layout.width);
  const animation = planAnimation(q, steps);
  const output: OutputSpec = {
    format: q.format, scale: q.scale ?? scale, colormap: q.colormap ?? defaultColormap(q.view), view: q.view, pick: q.pick,
    ...(animation ? { animation } : {}),
  };
  // the twin of an image (PNG or GIF) is its JSON: the numbers of the same computation
  const twin: OutputSpec = q.format !== 'json'
    ? { format: 'json', scale: output.scale, colormap: output.colormap, view: q.view, pick: q.pick }
    : { format: 'png', scale, colormap: 'gray', view: 'image', pick: q.pick };
  return { output, twin };
}
