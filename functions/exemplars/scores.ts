/**
 * Exemplars: the real images a model scores highest (or lowest) for a class. The logits of every shipped test
 * image are computed once per model, in batches of forward passes, and kept; a class's scores and its top-k
 * come from them without running the model again.
 */
import { sampleSize, type ImageLayout } from '../engine/image.js';
import { valueOf, type Grid } from '../engine/quantize.js';
import { classProbability, logSumExp } from '../engine/softmax.js';

/** A model's forward pass: n samples in the model's layout in, n x classes logits out. */
export interface Forward {
  classes: number;
  logits(x: Float32Array, n: number): Promise<Float32Array>;
}

/** What an exemplar score is: the class logit, its log-probability or its probability. */
export const SCORES = ['logit', 'logprob', 'prob'] as const;
export type ScoreKind = (typeof SCORES)[number];

/**
 * The logits (count x classes) of `count` 8-bit single-channel images, `batch` at a time. The pixels are
 * row-major height x width; the model's range is `grid` (level 0 = min, 255 = max), as for `sample=` starts.
 */
export async function imageLogits(forward: Forward, pixels: Uint8Array, count: number, layout: ImageLayout, grid: Grid, batch = 100): Promise<Float32Array> {
  const size = sampleSize(layout);
  if (layout.channels !== 1 || pixels.length !== count * size) throw new Error(`expected ${count} single-channel images of ${layout.height}x${layout.width}`);
  const value = Float32Array.from({ length: 256 }, (_, q) => valueOf(q, grid));
  const out = new Float32Array(count * forward.classes);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const x = new Float32Array(n * size);
    for (let i = 0; i < n * size; i++) x[i] = value[pixels[start * size + i]!]!;
    const logits = await forward.logits(x, n);
    out.set(logits.subarray(0, n * forward.classes), start * forward.classes);
  }
  return out;
}

/** Score of class k for every row of `logits` (rows x classes): z_k, z_k − logsumexp(z), or softmax(z)_k. */
export function classScores(logits: Float32Array, classes: number, k: number, kind: ScoreKind): Float64Array {
  const rows = logits.length / classes;
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const z = logits[r * classes + k]!;
    scores[r] = kind === 'logit' ? z : kind === 'logprob' ? z - logSumExp(logits, r * classes, classes) : classProbability(logits, r, classes, k);
  }
  return scores;
}

/** Indices of the k highest (top) or lowest (bottom) scores, best first; equal scores in index order. */
export function rank(scores: Float64Array, k: number, order: 'top' | 'bottom'): number[] {
  const sign = order === 'top' ? -1 : 1;
  return [...scores.keys()].sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b).slice(0, k);
}
