/**
 * The reference for the per-op gradient tests: the same computation written with TensorFlow.js ops on its CPU
 * backend, differentiated by `tf.grad`.
 *
 *   f(x) = sum(w * reshape(op(x), [N, K]))        grad = tf.grad(f)(x)
 *
 * Comparison: both sides compute in float32 with different kernels and summation orders, so exact equality is
 * not expected. The error of a result is measured against the largest magnitude in the reference,
 *
 *   error = max_i |actual_i - expected_i| / max(max_i |expected_i|, 1e-6)
 *
 * which is scale-free, treats tiny entries (whose own relative error is meaningless in float32 after
 * cancellation) by the absolute floor they get from the largest entry, and stays far above float32 rounding
 * (~1e-7) for any real mistake in a rule: a wrong sign, a missing term, a misplaced or mis-scaled element all
 * give errors of order 1e-2 or more. Tests require error <= 1e-5.
 */
import * as tf from '@tensorflow/tfjs';

export const TOLERANCE = 1e-5;

/**
 * TensorFlow.js on its CPU backend (exact float32 kernels, no GPU/WASM differences). Set on every call: the test
 * files share one process, and another file may have switched to the wasm backend (setting it again is free).
 */
export async function tfCpu(): Promise<typeof tf> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs CPU backend did not initialize');
  return tf;
}

export type OracleOp = (x: tf.Tensor, c: Record<string, tf.Tensor>) => tf.Tensor;

export interface OracleResult {
  /** reshape(op(x), [N, K]) */
  output: Float32Array;
  grad: Float32Array;
  /** K */
  units: number;
}

/** op(x) and the gradient of sum(w * reshape(op(x), [N, K])) with respect to x, w given as [N, K] row-major. */
export async function oracle(op: OracleOp, x: Float32Array, xShape: number[], consts: Record<string, { dims: number[]; data: Float32Array }>, w: (units: number) => Float32Array): Promise<OracleResult> {
  await tfCpu();
  const n = xShape[0]!;
  const [y, g] = tf.tidy(() => {
    const c: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(consts)) c[k] = tf.tensor(v.data, v.dims, 'float32');
    const xt = tf.tensor(x, xShape, 'float32');
    const out = tf.reshape(op(xt, c), [n, -1]);
    const units = out.shape[1]!;
    const wt = tf.tensor(w(units), [n, units], 'float32');
    const f = (v: tf.Tensor) => tf.sum(tf.mul(wt, tf.reshape(op(v, c), [n, units])));
    return [out, tf.grad(f)(xt)];
  });
  const result = { output: y.dataSync() as Float32Array, grad: g.dataSync() as Float32Array, units: y.shape[1]! };
  tf.dispose([y, g]);
  return result;
}

/** The error measure above, with the index of the worst element. Infinite for a length mismatch or NaN. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): { error: number; index: number } {
  if (actual.length !== expected.length) return { error: Infinity, index: -1 };
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  scale = Math.max(scale, 1e-6);
  let worst = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= worst)) {
      worst = Number.isNaN(d) ? Infinity : d;
      index = i;
    }
  }
  return { error: worst / scale, index };
}

/** A one-line description of a mismatch, or undefined when within tolerance. */
export function mismatch(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = TOLERANCE): string | undefined {
  const { error, index } = relError(actual, expected);
  if (error <= tolerance) return undefined;
  if (index < 0) return `${what}: ${actual.length} values, expected ${expected.length}`;
  return `${what}: relative error ${error.toExponential(2)} at [${index}] (got ${actual[index]}, expected ${expected[index]})`;
}
