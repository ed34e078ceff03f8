/**
 * A search through a learned image prior (prior=): the variable is the code z of the prior's generator G, the image
 * is G(z). Checked here: the prior exists, the model takes the prior's images (single channel, same size), and
 * nothing that acts on pixels was asked for (a constraint or regularizer on x cannot be honoured through G). The
 * start codes are seeded z ~ N(0, I) (init=normal, the default) or the origin (init=zeros); z stays in the ball
 * ||z|| <= zmax.
 */
import type { ImageLayout } from '../../engine/image.js';
import { rng } from '../../engine/prng.js';
import type { PriorEntry } from '../../registry/priors.js';
import type { ModelInfo } from '../../registry/types.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import type { Entries } from './canonical.js';
import { PRIOR_SETTINGS } from './defaults.js';

export interface PriorPlan {
  id: string;
  latent: number;
  zmax: number;
  /** canonical entries: the prior, its hash, zmax */
  entries: Entries;
  /** start codes of `batch` samples */
  starts(batch: number): Float32Array;
}

/** Parameters that act on pixels. */
const PIXEL_ONLY = ['eps', 'mask', 'x', 'sample', 'min', 'max', 'l2', 'l1', 'tv', 'blur', 'blur_every', 'jitter'] as const;

export function planPrior(q: MaximizeQuery, info: ModelInfo, layout: ImageLayout, priors: PriorEntry[]): PriorPlan | undefined {
  if (q.prior === undefined) {
    if (q.zmax !== undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "zmax" bounds the code of a prior; it needs "prior".', { parameter: 'zmax' });
    return undefined;
  }
  const prior = priors.find((p) => p.id === q.prior);
  if (!prior) {
    throw new ApiProblem(400, PROBLEM.badParameter, `There is no prior "${q.prior}". Priors: ${priors.map((p) => p.id).join(', ')}.`,
      { parameter: 'prior', allowed: priors.map((p) => p.id) });
  }
  for (const name of PIXEL_ONLY) {
    if (name === 'eps' ? (q.eps ?? 0) > 0 : q[name] !== undefined) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "${name}" acts on pixels and cannot be honoured through a prior: the image is G(z), the prior's picture of the code z. Leave out "${name}" or "prior".`,
        { parameter: name });
    }
  }
  if (q.preset !== 'none') {
    throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "preset" sets pixel regularizers, which do not apply through a prior (the prior itself keeps the image natural). Leave out "preset" or "prior".', { parameter: 'preset' });
  }
  const init = q.init ?? 'normal';
  if (init !== 'normal' && init !== 'zeros') {
    throw new ApiProblem(400, PROBLEM.badParameter, `With a prior the search starts from a code z: init=normal (seeded N(0, I), the default) or init=zeros (got init=${init}).`, { parameter: 'init', allowed: ['normal', 'zeros'] });
  }
  const [h, w] = prior.output.shape as [number, number];
  if (layout.channels !== 1 || layout.height !== h || layout.width !== w) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      `The prior "${prior.id}" makes ${h}x${w} single-channel images; ${info.id} takes ${layout.height}x${layout.width}${layout.channels > 1 ? `x${layout.channels}` : ''}.`,
      { parameter: 'prior' });
  }
  const latent = prior.input.latent;
  const zmax = q.zmax ?? PRIOR_SETTINGS.zmaxPerSqrtLatent * Math.sqrt(latent);
  return {
    id: prior.id,
    latent,
    zmax,
    entries: [['prior', prior.id], ['prior_sha256', prior.sha256.slice(0, 16)], ['zmax', zmax]],
    starts(batch) {
      const z = new Float32Array(batch * latent);
      if (init === 'normal') {
        const random = rng(q.seed);
        for (let i = 0; i < z.length; i++) z[i] = random.normal();
      }
      return z;
    },
  };
}
