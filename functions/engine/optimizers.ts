/**
 * Update rules for gradient ASCENT on the input (x moves along +gradient). Each optimizer keeps its own state
 * per element and turns the gradient g of one sample into a step in place.
 *   sgd:        x += lr g
 *   normalized: x += lr g / ||g||_2                       (the loop of the founding question's second answer)
 *   sign:       x += lr sign(g)                           (projected gradient method of Madry et al. 2018)
 *   rmsprop:    v = 0.9 v + 0.1 g^2;  x += lr g / (sqrt(v) + eps)
 *   adam:       Kingma & Ba 2015 with beta1 0.9, beta2 0.999, eps, bias-corrected
 * eps is in gradient units: 1e-8 for an input range of width 1, 1e-8 / r for width r. A model described in 0..255
 * has gradients 255 times smaller than the same model in 0..1, so this keeps every step (as a fraction of the
 * range) the same however the range is described.
 */

export const OPTIMIZERS = ['adam', 'sgd', 'normalized', 'sign', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface Optimizer {
  /** applies one ascent step for sample `s` (elements [offset, offset + size) of x and g) */
  step(x: Float32Array, g: Float32Array, offset: number, size: number, t: number): void;
}

/** Adam's bias corrections at step t: 1 / (1 - beta1^t) and 1 / (1 - beta2^t), beta1 0.9, beta2 0.999. */
export function adamCorrections(t: number): [number, number] {
  return [1 / (1 - 0.9 ** t), 1 / (1 - 0.999 ** t)];
}

/** The epsilon of rmsprop and Adam for an input range of width `range` (see above). */
export const optimizerEps = (range: number): number => 1e-8 / range;

export function optimizer(name: OptimizerName, lr: number, totalSize: number, range = 1): Optimizer {
  const eps = optimizerEps(range);
  switch (name) {
    case 'sgd':
      return { step: (x, g, o, n) => { for (let i = o; i < o + n; i++) x[i]! += lr * g[i]!; } };
    case 'normalized':
      return {
        step: (x, g, o, n) => {
          let sq = 0;
          for (let i = o; i < o + n; i++) sq += g[i]! * g[i]!;
          const k = lr / (Math.sqrt(sq) + 1e-12);
          for (let i = o; i < o + n; i++) x[i]! += k * g[i]!;
        },
      };
    case 'sign':
      return { step: (x, g, o, n) => { for (let i = o; i < o + n; i++) x[i]! += lr * Math.sign(g[i]!); } };
    case 'rmsprop': {
      const v = new Float32Array(totalSize);
      return {
        step: (x, g, o, n) => {
          for (let i = o; i < o + n; i++) {
            v[i] = 0.9 * v[i]! + 0.1 * g[i]! * g[i]!;
            x[i]! += (lr * g[i]!) / (Math.sqrt(v[i]!) + eps);
          }
        },
      };
    }
    case 'adam': {
      const m = new Float32Array(totalSize);
      const v = new Float32Array(totalSize);
      const b1 = 0.9;
      const b2 = 0.999;
      return {
        step: (x, g, o, n, t) => {
          // bias corrections folded into the step size: lr * sqrt(1 - b2^t) / (1 - b1^t) (Kingma & Ba, section 2)
          // would change the epsilon's role, so the textbook form is kept, with the divisions hoisted
          const [c1, c2] = adamCorrections(t);
          const end = o + n;
          for (let i = o; i < end; i++) {
            const gi = g[i]!;
            const mi = b1 * m[i]! + (1 - b1) * gi;
            const vi = b2 * v[i]! + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            x[i] = x[i]! + (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
          }
        },
      };
    }
  }
}
