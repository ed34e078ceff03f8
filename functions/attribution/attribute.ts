/**
 * One entry point for every method: the runner must be compiled for the request's target and, for gradcam, with
 * the layer as its wrt tensor (see compiler/layers.ts for the default layer).
 */
import type { GradientRunner } from '../engine/runner.js';
import { baseline } from './baseline.js';
import { gradcam } from './gradcam.js';
import { gradient, gradientTimesInput } from './gradient.js';
import { integratedGradients } from './integrated.js';
import { smoothgrad } from './smoothgrad.js';
import type { Attribution, AttributionInput, BaselineName, MethodName } from './types.js';

export interface MethodParameters {
  method: MethodName;
  /** smoothgrad: noisy copies and noise level (fraction of the range) */
  n: number;
  sigma: number;
  /** integrated: points on the path */
  steps: number;
  /** integrated, gradxinput */
  baseline: BaselineName;
  /** smoothgrad noise, uniform baseline */
  seed: number;
}

/** Samples a method runs through the gradient program (its cost in gradient evaluations). */
export function rowsOf(p: MethodParameters): number {
  return p.method === 'smoothgrad' ? p.n + 1 : p.method === 'integrated' ? p.steps : 1;
}

export function attribute(runner: GradientRunner, input: AttributionInput, p: MethodParameters): Promise<Attribution> {
  switch (p.method) {
    case 'gradient':
      return gradient(runner, input);
    case 'gradxinput':
      return gradientTimesInput(runner, input, baseline(p.baseline, input.layout, input.range, input.x, p.seed));
    case 'smoothgrad':
      return smoothgrad(runner, input, p.n, p.sigma, p.seed);
    case 'integrated':
      return integratedGradients(runner, input, baseline(p.baseline, input.layout, input.range, input.x, p.seed), p.steps);
    case 'gradcam':
      return gradcam(runner, input);
  }
}
