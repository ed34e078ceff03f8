/**
 * Image priors that keep the maximizing input from turning into high-frequency noise. Penalties are subtracted
 * from the objective, so their gradients are subtracted from g before the optimizer step:
 *   l2:  lambda * sum (x - x0)^2          dJ/dx -= 2 lambda (x - x0)        (x0 = the start image)
 *   l1:  lambda * sum |x - x0|            dJ/dx -= lambda sign(x - x0)
 *   tv:  lambda * sum over neighbours (x[p] - x[q])^2   ("beta-TV" with beta = 2, Mahendran & Vedaldi 2015)
 * and operations applied to x itself (Yosinski et al. 2015; Mordvintsev et al. 2015):
 *   blur:   a Gaussian blur of x every k steps
 *   jitter: the gradient is taken at x shifted by a random offset of up to j pixels
 */
import { at, type ImageLayout } from './image.js';

export interface Regularization {
  l2: number;
  l1: number;
  tv: number;
  /** Gaussian blur standard deviation in pixels (0 = off) */
  blur: number;
  /** blur every k steps */
  blurEvery: number;
  /** maximal jitter offset in pixels (0 = off) */
  jitter: number;
}

export const NO_REGULARIZATION: Regularization = { l2: 0, l1: 0, tv: 0, blur: 0, blurEvery: 1, jitter: 0 };

/** Subtracts the penalties' gradients from g for one sample (elements [o, o + size)). */
export function applyPenalties(
  r: Regularization, layout: ImageLayout, x: Float32Array, x0: Float32Array, g: Float32Array, o: number,
): void {
  const size = layout.height * layout.width * layout.channels;
  if (r.l2 > 0 || r.l1 > 0) {
    for (let i = o; i < o + size; i++) {
      const d = x[i]! - x0[i]!;
      g[i]! -= 2 * r.l2 * d + (d > 0 ? r.l1 : d < 0 ? -r.l1 : 0);
    }
  }
  if (r.tv > 0) {
    const { height: h, width: w, channels: cs } = layout;
    for (let c = 0; c < cs; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const p = o + at(layout, y, xx, c);
          if (xx + 1 < w) {
            const q = o + at(layout, y, xx + 1, c);
            const d = 2 * r.tv * (x[p]! - x[q]!);
            g[p]! -= d;
            g[q]! += d;
          }
          if (y + 1 < h) {
            const q = o + at(layout, y + 1, xx, c);
            const d = 2 * r.tv * (x[p]! - x[q]!);
            g[p]! -= d;
            g[q]! += d;
          }
        }
      }
    }
  }
}

/** The penalty value for one sample (reported in the trace so the objective plotted is what is maximized). */
export function penalty(r: Regularization, layout: ImageLayout, x: Float32Array, x0: Float32Array, o: number): number {
  let p = 0;
  const size = layout.height * layout.width * layout.channels;
  if (r.l2 > 0 || r.l1 > 0) {
    for (let i = o; i < o + size; i++) {
      const d = x[i]! - x0[i]!;
      p += r.l2 * d * d + r.l1 * Math.abs(d);
    }
  }
  if (r.tv > 0) {
    const { height: h, width: w, channels: cs } = layout;
    for (let c = 0; c < cs; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const v = x[o + at(layout, y, xx, c)]!;
          if (xx + 1 < w) p += r.tv * (v - x[o + at(layout, y, xx + 1, c)]!) ** 2;
          if (y + 1 < h) p += r.tv * (v - x[o + at(layout, y + 1, xx, c)]!) ** 2;
        }
      }
    }
  }
  return p;
}

/** The taps of a normalized Gaussian of standard deviation sigma, radius max(1, ceil(3 sigma)). */
export function blurKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}

/** Separable Gaussian blur of one sample in place (edges clamped). */
export function blur(layout: ImageLayout, x: Float32Array, o: number, sigma: number): void {
  const kernel = blurKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const { height: h, width: w, channels: cs } = layout;
  const tmp = new Float32Array(h * w);
  for (let c = 0; c < cs; c++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          const xk = Math.min(w - 1, Math.max(0, xx + k));
          acc += kernel[k + radius]! * x[o + at(layout, y, xk, c)]!;
        }
        tmp[y * w + xx] = acc;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          const yk = Math.min(h - 1, Math.max(0, y + k));
          acc += kernel[k + radius]! * tmp[yk * w + xx]!;
        }
        x[o + at(layout, y, xx, c)] = acc;
      }
    }
  }
}

/** Copies sample `o` of `src` into `dst` shifted by (dy, dx) with wrap-around (a roll, as np.roll). */
export function roll(layout: ImageLayout, src: Float32Array, dst: Float32Array, o: number, dy: number, dx: number): void {
  const { height: h, width: w, channels: cs } = layout;
  for (let c = 0; c < cs; c++) {
    for (let y = 0; y < h; y++) {
      const ty = (((y + dy) % h) + h) % h;
      for (let xx = 0; xx < w; xx++) {
        const tx = (((xx + dx) % w) + w) % w;
        dst[o + at(layout, ty, tx, c)] = src[o + at(layout, y, xx, c)]!;
      }
    }
  }
}
