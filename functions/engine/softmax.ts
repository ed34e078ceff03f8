/**
 * Softmax arithmetic on one row of logits z, shifted by the row's maximum m so exp never overflows:
 *   softmax(z)_c = exp(z_c − m) / Σ_k exp(z_k − m)        log Σ_k exp(z_k) = m + log Σ_k exp(z_k − m)
 * The row starts at offset `o` of a [n, classes] array. Nothing here allocates except softmaxRow.
 */

/** max_c z[o + c] */
export function rowMax(z: Float32Array, o: number, classes: number): number {
  let max = -Infinity;
  for (let c = 0; c < classes; c++) max = Math.max(max, z[o + c]!);
  return max;
}

/** Σ_c exp(z[o + c] − shift) */
export function sumExp(z: Float32Array, o: number, classes: number, shift: number): number {
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(z[o + c]! - shift);
  return sum;
}

/** log Σ_c exp(z[o + c]): log-softmax is z − logSumExp. */
export function logSumExp(z: Float32Array, o: number, classes: number): number {
  const max = rowMax(z, o, classes);
  return max + Math.log(sumExp(z, o, classes, max));
}

/** Softmax of row `row` of [n, classes] logits. */
export function softmaxRow(logits: Float32Array, row: number, classes: number): Float64Array {
  const o = row * classes;
  const max = rowMax(logits, o, classes);
  const sum = sumExp(logits, o, classes, max);
  const p = new Float64Array(classes);
  for (let c = 0; c < classes; c++) p[c] = Math.exp(logits[o + c]! - max) / sum;
  return p;
}

/** Softmax probability of class k in row `row` (called every step: no allocation). */
export function classProbability(logits: Float32Array, row: number, classes: number, k: number): number {
  const o = row * classes;
  const max = rowMax(logits, o, classes);
  return Math.exp(logits[o + k]! - max) / sumExp(logits, o, classes, max);
}
