/**
 * Search in the latent space of a learned image prior G (Nguyen et al. 2016): the variable is the code z, the
 * image is G(z). The code is kept where G was trained, inside a ball (||z||_2 <= zmax: z is scaled back onto the
 * sphere) or a box (|z_i| <= zmax: clipped), both exact Euclidean projections; the VAE prior N(0, I) puts codes
 * at ||z|| ~ sqrt(latent).
 */
import type { GradientRunner } from './runner.js';

export type LatentNorm = 'l2' | 'linf';

export interface LatentSearch {
  zmax: number;
  norm: LatentNorm;
  /** G(z) in the model's layout and pixel range, for `n` codes */
  decode(z: Float32Array, n: number): Promise<Float32Array>;
  /** the classifier on pixels: scores the quantized images */
  pixels: GradientRunner;
}

/** Projects code `o` (size elements) of z onto the ball or box of radius zmax around 0. */
export function projectLatent(s: Pick<LatentSearch, 'zmax' | 'norm'>, z: Float32Array, o: number, size: number): void {
  const end = o + size;
  if (s.norm === 'linf') {
    for (let i = o; i < end; i++) z[i] = Math.max(-s.zmax, Math.min(s.zmax, z[i]!));
    return;
  }
  let sq = 0;
  for (let i = o; i < end; i++) sq += z[i]! * z[i]!;
  const n = Math.sqrt(sq);
  if (n > s.zmax) for (let i = o; i < end; i++) z[i]! *= s.zmax / n;
}
