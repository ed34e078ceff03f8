/**
 * What every attribution method takes and returns. A method answers "which parts of this input made the model's
 * score for class K what it is?" with one number per input element (Grad-CAM: per pixel), computed from the
 * compiled gradient program through a GradientRunner. Pure: no I/O, no clocks; randomness only from the seed.
 */
import type { ImageLayout } from '../engine/image.js';

export const METHODS = ['gradient', 'gradxinput', 'smoothgrad', 'integrated', 'gradcam'] as const;
export type MethodName = (typeof METHODS)[number];

export const BASELINES = ['black', 'gray', 'blur', 'uniform'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface AttributionInput {
  layout: ImageLayout;
  /** the model's input range (black = min) */
  range: { min: number; max: number };
  /** one sample in the model's layout */
  x: Float32Array;
  /** the objective weights, one row of the program's units (e_K for class K) */
  weights: Float32Array;
}

/** Integrated Gradients' completeness: sum_i a_i = f(x) - f(baseline) up to the quadrature error. */
export interface Completeness {
  /** sum of the attributions */
  sum: number;
  /** f(x) - f(baseline) */
  delta: number;
  fInput: number;
  fBaseline: number;
  /** |sum - delta| / |delta| */
  relative: number;
}

export interface Attribution {
  method: MethodName;
  /** one value per input element in the model's layout, or per pixel (height x width, row-major) when `perPixel` */
  values: Float32Array;
  perPixel: boolean;
  /** false when the values are never negative (Grad-CAM) */
  signed: boolean;
  /** the logits of the input itself */
  logits: Float32Array;
  /** the objective (weighted target) of the input itself */
  score: number;
  completeness?: Completeness;
  /** Grad-CAM: the map at the layer's resolution and the channel weights alpha_k */
  cam?: { layer: string; height: number; width: number; values: Float32Array; channelWeights: Float32Array };
  /** samples run through the gradient program (the work done) */
  rows: number;
}

/** A request a method cannot serve (a layer without spatial extent...); `parameter` names the culprit. */
export class AttributionError extends Error {
  override name = 'AttributionError';
  constructor(message: string, readonly parameter: string) {
    super(message);
  }
}
