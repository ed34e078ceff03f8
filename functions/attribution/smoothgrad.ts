/**
 * SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg 2017): the mean gradient over n copies of the input with
 * Gaussian noise of standard deviation sigma * (max - min) added (not clipped, as in the paper and Captum's
 * NoiseTunnel); the paper's defaults are n = 50 and a noise level of 10-20 %. The input itself is row 0 of the
 * same batch, for its scores; the copies are rows 1..n.
 */
import type { GradientRunner } from '../engine/runner.js';
import { rng } from '../engine/prng.js';
import { runRows } from './rows.js';
import type { Attribution, AttributionInput } from './types.js';

export const SMOOTHGRAD_DEFAULTS = { n: 50, sigma: 0.15 } as const;

export async function smoothgrad(runner: GradientRunner, input: AttributionInput, n: number, sigma: number, seed: number): Promise<Attribution> {
  const size = input.x.length;
  const std = sigma * (input.range.max - input.range.min);
  const batch = new Float32Array((n + 1) * size);
  batch.set(input.x);
  const random = rng(seed ^ 0x5300);
  for (let s = 1; s <= n; s++) {
    for (let i = 0; i < size; i++) batch[s * size + i] = input.x[i]! + std * random.normal();
  }
  const out = await runRows(runner, batch, n + 1, input.weights);
  const values = new Float32Array(size);
  for (let s = 1; s <= n; s++) for (let i = 0; i < size; i++) values[i]! += out.grad[s * size + i]!;
  for (let i = 0; i < size; i++) values[i]! /= n;
  return {
    method: 'smoothgrad', values, perPixel: false, signed: true,
    logits: out.logits.slice(0, runner.classes), score: out.objective[0]!, rows: n + 1,
  };
}
