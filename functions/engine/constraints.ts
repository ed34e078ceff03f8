/**
 * Constraints on the input, enforced by Euclidean projection after every step (projected gradient ascent):
 *   mask:  pixels outside the mask are reset to the start image x0
 *   ball:  ||x - x0||_inf <= eps (clip each pixel to [x0 - eps, x0 + eps]) or
 *          ||x - x0||_2 <= eps  (scale x - x0 back onto the sphere when outside)
 *   range: min <= x <= max (clip)
 * Projecting onto the intersection: the L-inf ball, the range and the mask are boxes, so clipping to the
 * intersection of boxes is exact. For the L2 ball, the ball projection is followed by the box clip, which keeps x
 * feasible (clipping toward x0's box never increases ||x - x0||, since x0 lies in the box).
 */

export interface Constraints {
  min: number;
  max: number;
  /** radius of the ball around x0, or 0 for none */
  eps: number;
  norm: 'linf' | 'l2';
  /** 1 where the pixel may change (per element of one sample), or undefined for all */
  mask?: Uint8Array;
}

/** Projects sample `o` of x (size elements) onto the feasible set around x0. */
export function project(c: Constraints, x: Float32Array, x0: Float32Array, o: number, size: number): void {
  if (c.mask) {
    for (let i = 0; i < size; i++) if (!c.mask[i]) x[o + i] = x0[o + i]!;
  }
  const end = o + size;
  if (c.eps > 0 && c.norm === 'l2') {
    let sq = 0;
    for (let i = o; i < end; i++) sq += (x[i]! - x0[i]!) ** 2;
    const n = Math.sqrt(sq);
    if (n > c.eps) {
      const k = c.eps / n;
      for (let i = o; i < end; i++) x[i] = x0[i]! + k * (x[i]! - x0[i]!);
    }
  }
  const { min, max } = c;
  if (c.eps > 0 && c.norm === 'linf') {
    // the intersection of the range and the L-inf ball: a box per element
    for (let i = o; i < end; i++) {
      const lo = Math.max(min, x0[i]! - c.eps);
      const hi = Math.min(max, x0[i]! + c.eps);
      const v = x[i]!;
      x[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    for (let i = o; i < end; i++) {
      const v = x[i]!;
      x[i] = v < min ? min : v > max ? max : v;
    }
  }
}
