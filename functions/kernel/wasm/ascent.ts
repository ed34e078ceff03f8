/**
 * The ascent loop inside the kernel: per step, the gradient program over the batch (plan.ts's plan, chunked to
 * the model's batch), the trace, the penalties, the optimizer, the blur and the projection, for every sample.
 * This is functions/engine/ (ascent.ts, optimizers.ts, regularizers.ts, constraints.ts) statement for statement,
 * in f64 as JavaScript computes it, so that given the same gradients both produce the same images.
 */
import {
  F_EPS, F_L1, F_L2, F_LR, F_MAX, F_MIN, F_OPT_EPS, F_TV, JOB_FLOATS, J_ADAM, J_BATCH, J_BLUR, J_BLUR_EVERY, J_BLUR_RADIUS, J_CHANNELS,
  J_CHANNELS_LAST, J_CHUNK, J_CLASSES, J_G, J_HEIGHT, J_JITTERED, J_LOGITS, J_M, J_MASK, J_NORM, J_OBJECTIVE, J_OPTIMIZER,
  J_PLAN, J_PLAN_WORDS, J_P_GRAD, J_P_INPUT, J_P_LOGITS, J_P_OBJECTIVE, J_P_WEIGHTS, J_SHIFTS, J_SIZE, J_TARGET,
  J_TMP, J_TRACE_CLASS, J_TRACE_OBJECTIVE, J_TRACE_PROBABILITY, J_UNITS, J_V, J_WEIGHTS, J_WIDTH, J_X, J_X0, NORM_L2,
  OPT_ADAM, OPT_NORMALIZED, OPT_RMSPROP, OPT_SGD, OPT_SIGN, TARGET_LOGIT, TARGET_PROB, TARGET_TENSOR,
} from '../abi';
import { run } from './interpreter';

@inline function ji(job: usize, f: i32): i32 { return load<i32>(job + (<usize>f << 2)); }
@inline function jp(job: usize, f: i32): usize { return <usize>load<i32>(job + (<usize>f << 2)); }
@inline function jf(job: usize, f: i32): f64 { return load<f64>(job + JOB_FLOATS + (<usize>f << 3)); }
@inline function rf(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
@inline function wf(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }

/** lanes 2 and 3 of a f32x4 in lanes 0 and 1 (for f64x2.promote_low_f32x4) */
@inline function high(v: v128): v128 { return v128.shuffle<f32>(v, v, 2, 3, 2, 3); }
/** two f64x2 rounded to f32 (as <f32> rounds) into one f32x4: lo's lanes, then hi's */
@inline function join(lo: v128, hi: v128): v128 { return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5); }

/** The gradient program over all samples: gradient into J_G, logits into J_LOGITS, objective into J_OBJECTIVE. */
export function evaluate(job: usize, input: usize): void {
  const n = ji(job, J_BATCH), size = ji(job, J_SIZE), chunk = ji(job, J_CHUNK);
  const classes = ji(job, J_CLASSES), units = ji(job, J_UNITS);
  const pIn = jp(job, J_P_INPUT), pW = jp(job, J_P_WEIGHTS), pG = jp(job, J_P_GRAD), pL = jp(job, J_P_LOGITS), pO = jp(job, J_P_OBJECTIVE);
  const G = jp(job, J_G), L = jp(job, J_LOGITS), O = jp(job, J_OBJECTIVE), W = jp(job, J_WEIGHTS);
  const plan = jp(job, J_PLAN), words = ji(job, J_PLAN_WORDS);
  const sb = <usize>size << 2, ub = <usize>units << 2, cb = <usize>classes << 2;
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const count = n - s0 < chunk ? n - s0 : chunk;
    memory.copy(pIn, input + <usize>s0 * sb, <usize>count * sb);
    memory.copy(pW, W + <usize>s0 * ub, <usize>count * ub);
    if (count < chunk) {
      // a model with a fixed batch: the last chunk padded with zero images whose objective weights are zero
      memory.fill(pIn + <usize>count * sb, 0, <usize>(chunk - count) * sb);
      memory.fill(pW + <usize>count * ub, 0, <usize>(chunk - count) * ub);
    }
    run(plan, words);
    memory.copy(G + <usize>s0 * sb, pG, <usize>count * sb);
    memory.copy(L + <usize>s0 * cb, pL, <usize>count * cb);
    if (pO != 0) memory.copy(O + (<usize>s0 << 2), pO, <usize>count << 2);
  }
  if (ji(job, J_TARGET) != TARGET_TENSOR) objectiveFromLogits(job);
}

/** objective[s] = sum_c w[s, c] t[s, c], t = logits, log-softmax or softmax (engine/runner.ts objectiveOf) */
function objectiveFromLogits(job: usize): void {
  const n = ji(job, J_BATCH), classes = ji(job, J_CLASSES), units = ji(job, J_UNITS), kind = ji(job, J_TARGET);
  const L = jp(job, J_LOGITS), O = jp(job, J_OBJECTIVE), W = jp(job, J_WEIGHTS);
  for (let s = 0; s < n; s++) {
    const o = s * classes;
    const wo = s * units;
    let shift = 0.0;
    if (kind != TARGET_LOGIT) {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, rf(L, o + c));
      let sum = 0.0;
      for (let c = 0; c < classes; c++) sum += Math.exp(rf(L, o + c) - max);
      shift = max + Math.log(sum);
    }
    let acc = 0.0;
    for (let c = 0; c < classes; c++) {
      const z = rf(L, o + c);
      const t = kind == TARGET_LOGIT ? z : kind == TARGET_PROB ? Math.exp(z - shift) : z - shift;
      acc += rf(W, wo + c) * t;
    }
    wf(O, s, acc);
  }
}

/** softmax probability of class k in row s of the logits */
function classProbability(L: usize, s: i32, classes: i32, k: i32): f64 {
  const o = s * classes;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, rf(L, o + c));
  let sum = 0.0;
  for (let c = 0; c < classes; c++) sum += Math.exp(rf(L, o + c) - max);
  return Math.exp(rf(L, o + k) - max) / sum;
}

@inline function pixel(job: usize, y: i32, x: i32, c: i32): i32 {
  const h = ji(job, J_HEIGHT), w = ji(job, J_WIDTH), cs = ji(job, J_CHANNELS);
  return ji(job, J_CHANNELS_LAST) != 0 ? (y * w + x) * cs + c : (c * h + y) * w + x;
}

/** the penalty of sample o (regularizers.ts penalty) */
function penalty(job: usize, X: usize, X0: usize, o: i32): f64 {
  const size = ji(job, J_SIZE);
  const l2 = jf(job, F_L2), l1 = jf(job, F_L1), tv = jf(job, F_TV);
  let p = 0.0;
  if (l2 > 0 || l1 > 0) {
    for (let i = o; i < o + size; i++) {
      const d = rf(X, i) - rf(X0, i);
      p += l2 * d * d + l1 * Math.abs(d);
    }
  }
  if (tv > 0) {
    const h = ji(job, J_HEIGHT), w = ji(job, J_WIDTH), cs = ji(job, J_CHANNELS);
    for (let c = 0; c < cs; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const v = rf(X, o + pixel(job, y, xx, c));
          if (xx + 1 < w) p += tv * Math.pow(v - rf(X, o + pixel(job, y, xx + 1, c)), 2);
          if (y + 1 < h) p += tv * Math.pow(v - rf(X, o + pixel(job, y + 1, xx, c)), 2);
        }
      }
    }
  }
  return p;
}

/** g -= d penalties / dx for sample o (regularizers.ts applyPenalties) */
function applyPenalties(job: usize, X: usize, X0: usize, G: usize, o: i32): void {
  const size = ji(job, J_SIZE);
  const l2 = jf(job, F_L2), l1 = jf(job, F_L1), tv = jf(job, F_TV);
  if (l2 > 0 || l1 > 0) {
    for (let i = o; i < o + size; i++) {
      const d = rf(X, i) - rf(X0, i);
      wf(G, i, rf(G, i) - (2 * l2 * d + (d > 0 ? l1 : d < 0 ? -l1 : 0)));
    }
  }
  if (tv > 0) {
    const h = ji(job, J_HEIGHT), w = ji(job, J_WIDTH), cs = ji(job, J_CHANNELS);
    for (let c = 0; c < cs; c++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const p = o + pixel(job, y, xx, c);
          if (xx + 1 < w) {
            const q = o + pixel(job, y, xx + 1, c);
            const d = 2 * tv * (rf(X, p) - rf(X, q));
            wf(G, p, rf(G, p) - d);
            wf(G, q, rf(G, q) + d);
          }
          if (y + 1 < h) {
            const q = o + pixel(job, y + 1, xx, c);
            const d = 2 * tv * (rf(X, p) - rf(X, q));
            wf(G, p, rf(G, p) - d);
            wf(G, q, rf(G, q) + d);
          }
        }
      }
    }
  }
}

/** one optimizer step for sample o (optimizers.ts) */
function optimizerStep(job: usize, X: usize, G: usize, o: i32, t: i32): void {
  if (ji(job, J_OPTIMIZER) == OPT_ADAM) adamStep(job, X, G, o, t);
  else otherStep(job, X, G, o);
}

/** Adam (optimizers.ts adam) for sample o at step t */
export function adamStep(job: usize, X: usize, G: usize, o: i32, t: i32): void {
  const n = ji(job, J_SIZE);
  const end = o + n;
  const lr = jf(job, F_LR);
  const eps = jf(job, F_OPT_EPS);
  const M = jp(job, J_M), V = jp(job, J_V);
  const corrections = jp(job, J_ADAM) + (<usize>(t - 1) << 4);
  const c1 = load<f64>(corrections), c2 = load<f64>(corrections, 8);
  const b1 = 0.9, b2 = 0.999;
  let i = o;
  // four pixels at a time in two f64x2 halves: the same IEEE operations, in the same order, as the loop below
  const vb1 = f64x2.splat(b1), vb1c = f64x2.splat(1 - b1), vb2 = f64x2.splat(b2), vb2c = f64x2.splat(1 - b2);
  const vlr = f64x2.splat(lr), vc1 = f64x2.splat(c1), vc2 = f64x2.splat(c2), veps = f64x2.splat(eps);
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    const g4 = v128.load(G + at), m4 = v128.load(M + at), v4 = v128.load(V + at), x4 = v128.load(X + at);
    const gl = f64x2.promote_low_f32x4(g4), gh = f64x2.promote_low_f32x4(high(g4));
    const ml = f64x2.add(f64x2.mul(vb1, f64x2.promote_low_f32x4(m4)), f64x2.mul(vb1c, gl));
    const mh = f64x2.add(f64x2.mul(vb1, f64x2.promote_low_f32x4(high(m4))), f64x2.mul(vb1c, gh));
    const vl = f64x2.add(f64x2.mul(vb2, f64x2.promote_low_f32x4(v4)), f64x2.mul(f64x2.mul(vb2c, gl), gl));
    const vh = f64x2.add(f64x2.mul(vb2, f64x2.promote_low_f32x4(high(v4))), f64x2.mul(f64x2.mul(vb2c, gh), gh));
    const xl = f64x2.add(f64x2.promote_low_f32x4(x4), f64x2.div(f64x2.mul(f64x2.mul(vlr, ml), vc1), f64x2.add(f64x2.sqrt(f64x2.mul(vl, vc2)), veps)));
    const xh = f64x2.add(f64x2.promote_low_f32x4(high(x4)), f64x2.div(f64x2.mul(f64x2.mul(vlr, mh), vc1), f64x2.add(f64x2.sqrt(f64x2.mul(vh, vc2)), veps)));
    v128.store(M + at, join(ml, mh));
    v128.store(V + at, join(vl, vh));
    v128.store(X + at, join(xl, xh));
  }
  for (; i < end; i++) {
    const gi = rf(G, i);
    const mi = b1 * rf(M, i) + (1 - b1) * gi;
    const vi = b2 * rf(V, i) + (1 - b2) * gi * gi;
    wf(M, i, mi);
    wf(V, i, vi);
    wf(X, i, rf(X, i) + (lr * mi * c1) / (Math.sqrt(vi * c2) + eps));
  }
}

/** the other optimizers (optimizers.ts sgd, normalized, sign, rmsprop) for sample o */
export function otherStep(job: usize, X: usize, G: usize, o: i32): void {
  const n = ji(job, J_SIZE);
  const end = o + n;
  const lr = jf(job, F_LR);
  const eps = jf(job, F_OPT_EPS);
  const kind = ji(job, J_OPTIMIZER);
  if (kind == OPT_SGD) {
    for (let i = o; i < end; i++) wf(X, i, rf(X, i) + lr * rf(G, i));
  } else if (kind == OPT_NORMALIZED) {
    let sq = 0.0;
    for (let i = o; i < end; i++) sq += rf(G, i) * rf(G, i);
    const k = lr / (Math.sqrt(sq) + 1e-12);
    for (let i = o; i < end; i++) wf(X, i, rf(X, i) + k * rf(G, i));
  } else if (kind == OPT_SIGN) {
    for (let i = o; i < end; i++) {
      const g = rf(G, i);
      wf(X, i, rf(X, i) + lr * (g > 0 ? 1.0 : g < 0 ? -1.0 : g));
    }
  } else if (kind == OPT_RMSPROP) {
    const V = jp(job, J_V);
    for (let i = o; i < end; i++) {
      wf(V, i, 0.9 * rf(V, i) + 0.1 * rf(G, i) * rf(G, i));
      wf(X, i, rf(X, i) + (lr * rf(G, i)) / (Math.sqrt(rf(V, i)) + eps));
    }
  }
}

/** separable blur of sample o in place, edges clamped (regularizers.ts blur; the taps come from the host) */
function blur(job: usize, X: usize, o: i32): void {
  const K = jp(job, J_BLUR), radius = ji(job, J_BLUR_RADIUS);
  const h = ji(job, J_HEIGHT), w = ji(job, J_WIDTH), cs = ji(job, J_CHANNELS);
  const tmp = jp(job, J_TMP);
  for (let c = 0; c < cs; c++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = 0.0;
        for (let k = -radius; k <= radius; k++) {
          const xk = min(w - 1, max(0, xx + k));
          acc += rf(K, k + radius) * rf(X, o + pixel(job, y, xk, c));
        }
        wf(tmp, y * w + xx, acc);
      }
    }
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = 0.0;
        for (let k = -radius; k <= radius; k++) {
          const yk = min(h - 1, max(0, y + k));
          acc += rf(K, k + radius) * rf(tmp, yk * w + xx);
        }
        wf(X, o + pixel(job, y, xx, c), acc);
      }
    }
  }
}

/** one sample of src (at element so) shifted by (dy, dx) with wrap-around into dst (at do) (regularizers.ts roll) */
function roll(job: usize, src: usize, so: i32, dst: usize, dO: i32, dy: i32, dx: i32): void {
  const h = ji(job, J_HEIGHT), w = ji(job, J_WIDTH), cs = ji(job, J_CHANNELS);
  for (let c = 0; c < cs; c++) {
    for (let y = 0; y < h; y++) {
      const ty = (((y + dy) % h) + h) % h;
      for (let xx = 0; xx < w; xx++) {
        const tx = (((xx + dx) % w) + w) % w;
        store<f32>(dst + (<usize>(dO + pixel(job, ty, tx, c)) << 2), load<f32>(src + (<usize>(so + pixel(job, y, xx, c)) << 2)));
      }
    }
  }
}

/** projection of sample o onto the constraints (constraints.ts project) */
function project(job: usize, X: usize, X0: usize, o: i32): void {
  const eps = jf(job, F_EPS);
  if (jp(job, J_MASK) != 0) projectMask(job, X, X0, o);
  if (eps > 0 && ji(job, J_NORM) == NORM_L2) projectL2(job, X, X0, o);
  if (eps > 0 && ji(job, J_NORM) != NORM_L2) projectLinf(job, X, X0, o);
  else projectBox(job, X, o);
}

/** the pixels the mask keeps back to the start */
export function projectMask(job: usize, X: usize, X0: usize, o: i32): void {
  const size = ji(job, J_SIZE);
  const mask = jp(job, J_MASK);
  for (let i = 0; i < size; i++) if (load<u8>(mask + <usize>i) == 0) store<f32>(X + (<usize>(o + i) << 2), load<f32>(X0 + (<usize>(o + i) << 2)));
}

/** into the L2 ball of radius eps around the start (scaled) */
export function projectL2(job: usize, X: usize, X0: usize, o: i32): void {
  const end = o + ji(job, J_SIZE);
  const eps = jf(job, F_EPS);
  let sq = 0.0;
  for (let i = o; i < end; i++) sq += Math.pow(rf(X, i) - rf(X0, i), 2);
  const n = Math.sqrt(sq);
  if (n > eps) {
    const k = eps / n;
    for (let i = o; i < end; i++) wf(X, i, rf(X0, i) + k * (rf(X, i) - rf(X0, i)));
  }
}

/** into the L-infinity ball of radius eps around the start, within the range */
export function projectLinf(job: usize, X: usize, X0: usize, o: i32): void {
  const end = o + ji(job, J_SIZE);
  const eps = jf(job, F_EPS), min = jf(job, F_MIN), max = jf(job, F_MAX);
  for (let i = o; i < end; i++) {
    const lo = Math.max(min, rf(X0, i) - eps);
    const hi = Math.min(max, rf(X0, i) + eps);
    const v = rf(X, i);
    wf(X, i, v < lo ? lo : v > hi ? hi : v);
  }
}

/** into the range [min, max] */
export function projectBox(job: usize, X: usize, o: i32): void {
  const end = o + ji(job, J_SIZE);
  const min = jf(job, F_MIN), max = jf(job, F_MAX);
  let i = o;
  // pmax(v, min) = v < min ? min : v and pmin(v, max) = max < v ? max : v, in f64 as below
  const vmin = f64x2.splat(min), vmax = f64x2.splat(max);
  for (; i + 4 <= end; i += 4) {
    const at = <usize>i << 2;
    const x4 = v128.load(X + at);
    const l = f64x2.pmin(f64x2.pmax(f64x2.promote_low_f32x4(x4), vmin), vmax);
    const h = f64x2.pmin(f64x2.pmax(f64x2.promote_low_f32x4(high(x4)), vmin), vmax);
    v128.store(X + at, join(l, h));
  }
  for (; i < end; i++) {
    const v = rf(X, i);
    wf(X, i, v < min ? min : v > max ? max : v);
  }
}

/** steps from..to (1-based, inclusive) */
export function ascend(job: usize, from: i32, to: i32): void {
  const n = ji(job, J_BATCH), size = ji(job, J_SIZE), classes = ji(job, J_CLASSES);
  const X = jp(job, J_X), X0 = jp(job, J_X0), G = jp(job, J_G), L = jp(job, J_LOGITS), O = jp(job, J_OBJECTIVE);
  const shifts = jp(job, J_SHIFTS), jittered = jp(job, J_JITTERED), tmp = jp(job, J_TMP);
  const traceObjective = jp(job, J_TRACE_OBJECTIVE), traceProbability = jp(job, J_TRACE_PROBABILITY), traceClass = jp(job, J_TRACE_CLASS);
  const blurEvery = ji(job, J_BLUR_EVERY);
  const sb = <usize>size << 2;
  for (let t = from; t <= to; t++) {
    const sh = shifts + (<usize>((t - 1) * n * 2) << 2);
    if (shifts != 0) {
      for (let s = 0; s < n; s++) roll(job, X, s * size, jittered, s * size, load<i32>(sh + (<usize>(2 * s) << 2)), load<i32>(sh + (<usize>(2 * s + 1) << 2)));
      evaluate(job, jittered);
      for (let s = 0; s < n; s++) {
        roll(job, G, s * size, tmp, 0, -load<i32>(sh + (<usize>(2 * s) << 2)), -load<i32>(sh + (<usize>(2 * s + 1) << 2)));
        memory.copy(G + <usize>s * sb, tmp, sb);
      }
    } else {
      evaluate(job, X);
    }
    const row = <usize>((t - 1) * n) << 3;
    for (let s = 0; s < n; s++) {
      const o = s * size;
      const pen = penalty(job, X, X0, o);
      store<f64>(traceObjective + row + (<usize>s << 3), <f64>load<f32>(O + (<usize>s << 2)) - pen);
      const k = load<i32>(traceClass + (<usize>s << 2));
      store<f64>(traceProbability + row + (<usize>s << 3), k >= 0 ? classProbability(L, s, classes, k) : NaN);
      applyPenalties(job, X, X0, G, o);
      optimizerStep(job, X, G, o, t);
      if (blurEvery > 0 && jp(job, J_BLUR) != 0 && t % blurEvery == 0) blur(job, X, o);
      project(job, X, X0, o);
    }
  }
}
