/**
 * gradient: the saliency of Simonyan, Vedaldi & Zisserman (2013), d score_K / d x, signed (their map is its
 * absolute value, which the heatmap shows with a magnitude colour map).
 * gradxinput: gradient x (input - baseline); with a zero (black) baseline this is Shrikumar et al.'s (2016)
 * "gradient * input", and it equals Integrated Gradients for a model that is linear along the path.
 */
import type { GradientRunner } from '../engine/runner.js';
import type { Attribution, AttributionInput } from './types.js';

export async function gradient(runner: GradientRunner, input: AttributionInput): Promise<Attribution> {
  const out = await runner.run(input.x, 1, input.weights);
  return { method: 'gradient', values: out.grad, perPixel: false, signed: true, logits: out.logits, score: out.objective[0]!, rows: 1 };
}

export async function gradientTimesInput(runner: GradientRunner, input: AttributionInput, base: Float32Array): Promise<Attribution> {
  const out = await runner.run(input.x, 1, input.weights);
  const values = new Float32Array(out.grad.length);
  for (let i = 0; i < values.length; i++) values[i] = out.grad[i]! * (input.x[i]! - base[i]!);
  return { method: 'gradxinput', values, perPixel: false, signed: true, logits: out.logits, score: out.objective[0]!, rows: 1 };
}
