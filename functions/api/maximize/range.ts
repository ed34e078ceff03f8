/** The image the search runs on: the model's layout, its value range (the 8-bit grid) and the range allowed. */
import type { ImageLayout } from '../../engine/image.js';
import type { Grid } from '../../engine/quantize.js';
import { layoutOf, type ModelInfo } from '../../registry/types.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { ApiProblem, PROBLEM } from '../problem.js';

export interface Range {
  layout: ImageLayout;
  /** the model's input range: levels 0..255 span it */
  grid: Grid;
  /** the allowed values, within the grid */
  min: number;
  max: number;
}

export function planRange(q: MaximizeQuery, info: ModelInfo): Range {
  const grid = { min: info.input.min, max: info.input.max };
  const min = q.min ?? grid.min;
  const max = q.max ?? grid.max;
  if (!(min >= grid.min && max <= grid.max && min < max)) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      `Parameters "min" and "max" must satisfy ${grid.min} <= min < max <= ${grid.max} (the model's input range); got min=${min}, max=${max}.`,
      { parameter: q.min !== undefined && !(min >= grid.min) ? 'min' : 'max', allowed: { minimum: grid.min, maximum: grid.max } });
  }
  return { layout: layoutOf(info.input), grid, min, max };
}
