/**
 * The regularizers (engine/regularizers.ts): the preset's, scaled to the model's input range, each overridden by a
 * parameter given explicitly.
 */
import { NO_REGULARIZATION, type Regularization } from '../../engine/regularizers.js';
import type { MaximizeQuery } from '../params/maximize.js';
import type { Entries } from './canonical.js';
import { irrelevant, regularizerOf, type Given } from './defaults.js';

export function planRegularization(q: MaximizeQuery, given: Given, range: { min: number; max: number }): { regularization: Regularization; entries: Entries } {
  const s = given.settings;
  const regularization: Regularization = {
    ...NO_REGULARIZATION,
    l2: regularizerOf('l2', q.l2, s, range),
    l1: regularizerOf('l1', q.l1, s, range),
    tv: regularizerOf('tv', q.tv, s, range),
    blur: regularizerOf('blur', q.blur, s, range),
    blurEvery: regularizerOf('blur_every', q.blur_every, s, range),
    jitter: regularizerOf('jitter', q.jitter, s, range),
  };
  const r = regularization;
  return {
    regularization,
    entries: [
      ['l2', r.l2],
      ['l1', r.l1],
      ['tv', r.tv],
      ['blur', r.blur],
      ...(irrelevant('blur_every', given) ? [] : [['blur_every', r.blurEvery] as [string, number]]),
      ['jitter', r.jitter],
    ],
  };
}
