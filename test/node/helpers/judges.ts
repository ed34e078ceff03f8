/**
 * Judges of an image that know nothing of Ascent's models, for the prior tests:
 *  - a linear PCA fitted on real images: the reconstruction error ||x - mean - U U^T (x - mean)||_2 of an image
 *    (how far it lies from the span of real images' main directions), compared with that of real test images;
 *  - two classifiers trained here on raw pixels, apart from the built-in models: k nearest neighbours (Euclidean)
 *    and a softmax regression (plain mini-batch SGD, seeded order).
 * Images are rows of 784 values in [0, 1].
 */
import { Rng } from './random.js';

const D = 784;

export interface Pca {
  mean: Float64Array;
  /** k orthonormal components, row after row */
  components: Float64Array;
  k: number;
}

/** Top-k principal directions of `n` images by subspace iteration on the covariance (Golub & Van Loan 8.2.4). */
export function fitPca(x: Float32Array, n: number, k: number, iterations = 30): Pca {
  const mean = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mean[j]! += x[i * D + j]! / n;
  // covariance C = X_c^T X_c / n, 784 x 784
  const c = new Float64Array(D * D);
  const row = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) row[j] = x[i * D + j]! - mean[j]!;
    for (let a = 0; a < D; a++) {
      const v = row[a]!;
      if (v === 0) continue;
      const o = a * D;
      for (let b = a; b < D; b++) c[o + b]! += v * row[b]!;
    }
  }
  for (let a = 0; a < D; a++) for (let b = a; b < D; b++) c[b * D + a] = c[a * D + b]! /= n;
  const random = new Rng(1234);
  let q = Float64Array.from({ length: k * D }, () => random.next() - 0.5);
  orthonormalize(q, k);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(k * D);
    for (let r = 0; r < k; r++) {
      for (let a = 0; a < D; a++) {
        let s = 0;
        const o = a * D;
        for (let b = 0; b < D; b++) s += c[o + b]! * q[r * D + b]!;
        next[r * D + a] = s;
      }
    }
    orthonormalize(next, k);
    q = next;
  }
  return { mean, components: q, k };
}

/** Modified Gram-Schmidt on k rows of length 784. */
function orthonormalize(q: Float64Array, k: number): void {
  for (let r = 0; r < k; r++) {
    for (let p = 0; p < r; p++) {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += q[r * D + j]! * q[p * D + j]!;
      for (let j = 0; j < D; j++) q[r * D + j]! -= dot * q[p * D + j]!;
    }
    let norm = 0;
    for (let j = 0; j < D; j++) norm += q[r * D + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < D; j++) q[r * D + j]! /= norm;
  }
}

/** Reconstruction error of each image under the PCA. */
export function pcaErrors(p: Pca, x: Float32Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const v = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) v[j] = x[i * D + j]! - p.mean[j]!;
    let total = 0;
    for (let j = 0; j < D; j++) total += v[j]! ** 2;
    let explained = 0;
    for (let r = 0; r < p.k; r++) {
      let dot = 0;
      for (let j = 0; j < D; j++) dot += v[j]! * p.components[r * D + j]!;
      explained += dot * dot;
    }
    out[i] = Math.sqrt(Math.max(0, total - explained));
  }
  return out;
}

export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export type Classifier = (x: Float32Array) => number;

/** k nearest neighbours among the training images (Euclidean distance), majority vote, nearest first on ties. */
export function knn(train: Float32Array, labels: Uint8Array, n: number, k = 5): Classifier {
  return (x) => {
    const best: { d: number; label: number }[] = [];
    for (let i = 0; i < n; i++) {
      let d = 0;
      const o = i * D;
      for (let j = 0; j < D; j++) {
        const e = train[o + j]! - x[j]!;
        d += e * e;
      }
      if (best.length < k || d < best[best.length - 1]!.d) {
        best.push({ d, label: labels[i]! });
        best.sort((a, b) => a.d - b.d);
        if (best.length > k) best.pop();
      }
    }
    const votes = new Map<number, number>();
    for (const b of best) votes.set(b.label, (votes.get(b.label) ?? 0) + 1);
    let top = best[0]!.label;
    for (const b of best) if (votes.get(b.label)! > votes.get(top)!) top = b.label;
    return top;
  };
}

/** Softmax regression on raw pixels: `epochs` of mini-batch SGD (batch 50, lr 0.1) in a seeded order; its weights. */
export function softmaxRegression(train: Float32Array, labels: Uint8Array, n: number, epochs = 5, classes = 10): { w: Float64Array; b: Float64Array } {
  const w = new Float64Array(classes * D);
  const b = new Float64Array(classes);
  const random = new Rng(99);
  const batch = 50;
  const lr = 0.1;
  const logits = new Float64Array(classes);
  const gw = new Float64Array(classes * D);
  const gb = new Float64Array(classes);
  const score = (x: Float32Array, o: number) => {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b[c]!;
      for (let j = 0; j < D; j++) s += w[c * D + j]! * x[o + j]!;
      logits[c] = s;
      max = Math.max(max, s);
    }
    return max;
  };
  for (let e = 0; e < epochs; e++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < n; start += batch) {
      gw.fill(0);
      gb.fill(0);
      const end = Math.min(n, start + batch);
      for (let t = start; t < end; t++) {
        const i = order[t]!;
        const max = score(train, i * D);
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += (logits[c] = Math.exp(logits[c]! - max));
        for (let c = 0; c < classes; c++) {
          // d cross-entropy / d logit = p - onehot
          const g = logits[c]! / sum - (labels[i] === c ? 1 : 0);
          if (g === 0) continue;
          gb[c]! += g;
          for (let j = 0; j < D; j++) gw[c * D + j]! += g * train[i * D + j]!;
        }
      }
      const k = lr / (end - start);
      for (let c = 0; c < classes; c++) {
        b[c]! -= k * gb[c]!;
        for (let j = 0; j < D; j++) w[c * D + j]! -= k * gw[c * D + j]!;
      }
    }
  }
  return { w, b };
}

/** Fraction of `n` images (rows of x) a classifier labels as `expected[i]`. */
export function agreement(f: Classifier, x: Float32Array, expected: ArrayLike<number>, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (f(x.subarray(i * D, (i + 1) * D)) === expected[i]) hits++;
  return hits / n;
}

/** Judges fitted once by test/node/fixtures/make-judges.ts and kept as a fixture (float32, little-endian). */
export interface Judges {
  pca: Pca;
  /** 95th percentile of the PCA reconstruction errors of the real test images */
  threshold: number;
  softmax: { w: Float64Array; b: Float64Array };
}

export function encodeJudges(j: Judges): Uint8Array {
  const values = [j.pca.k, j.threshold, ...j.pca.mean, ...j.pca.components, ...j.softmax.w, ...j.softmax.b];
  return new Uint8Array(Float32Array.from(values).buffer);
}

export function decodeJudges(bytes: Uint8Array, classes = 10): Judges {
  const f = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const k = f[0]!;
  let o = 2;
  const take = (n: number) => Float64Array.from(f.subarray(o, (o += n)));
  const mean = take(D);
  const components = take(k * D);
  const w = take(classes * D);
  const b = take(classes);
  if (o !== f.length) throw new Error(`judges fixture: ${f.length} values, ${o} expected`);
  return { pca: { mean, components, k }, threshold: f[1]!, softmax: { w, b } };
}

/** The classifier of a softmax regression's weights. */
export function linearClassifier({ w, b }: { w: Float64Array; b: Float64Array }, classes = 10): Classifier {
  return (x) => {
    let top = 0;
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b[c]!;
      for (let j = 0; j < D; j++) s += w[c * D + j]! * x[j]!;
      if (s > best) { best = s; top = c; }
    }
    return top;
  };
}
