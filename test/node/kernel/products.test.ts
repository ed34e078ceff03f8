/**
 * The kernel's matrix product Y[M,N] = A[M,K] . B[K,N] (gemmNN, the `gemm` export) against a plain loop. Each
 * element of Y is a float32 sum over k in order, one rounding per multiply and per add (no fused multiply-add in
 * WebAssembly SIMD), so the loop with Math.fround gives the same bits, whatever the blocking: strips of 32, 16, 4
 * and 1 columns, rows of A one, two and four at a time, and rows whose zero entries are skipped (gathered first, in
 * chunks of 1,024 entries of k), one row or each row of A on its own (gemmRows). A is mostly zeros, as ReLU outputs
 * and ReLU-masked gradients are, or mostly not, as fashion-cnn's pooled features are (a product marked for rows
 * then runs blocked: the two must agree to the bit).
 */
import { describe, expect, it } from 'vitest';
import { instantiateKernel } from '../../../functions/hosts/node/kernel.js';
import { rng } from '../../../functions/engine/prng.js';

/** Y in float32 arithmetic, k in order (zero entries of A add nothing) */
function reference(M: number, K: number, N: number, A: Float32Array, B: Float32Array): Float32Array {
  const f = Math.fround;
  const Y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = A[m * K + k]!;
        if (a !== 0) s = f(s + f(a * B[k * N + n]!));
      }
      Y[m * N + n] = s;
    }
  }
  return Y;
}

describe('the kernel matrix product', () => {
  const shapes: [number, number, number][] = [
    [1, 128, 784], // fashion-mlp's input gradient
    [1, 784, 128], // its first layer
    [1, 2500, 53], // more than one chunk of gathered entries; 32 + 16 + 4 + 1 columns
    [1, 7, 3],
    [2, 300, 37],
    [4, 200, 45],
    [7, 130, 70],
  ];
  const cases = [...shapes.map((s) => [...s, 0.75] as const), [10, 1352, 32, 0.3] as const, [3, 500, 45, 0.3] as const];
  for (const [M, K, N, zeros] of cases) {
    it(`Y[${M},${N}] = A[${M},${K}] . B[${K},${N}], A ${zeros * 100} % zeros: the same bits as a float32 loop`, async () => {
      const k = await instantiateKernel();
      const random = rng(M * 1_000_003 + K * 1009 + N);
      const A = Float32Array.from({ length: M * K }, () => (random.next() < zeros ? 0 : random.next() * 2 - 1));
      const B = Float32Array.from({ length: K * N }, () => random.next() * 2 - 1);
      const base = k.heapBase();
      const a = base;
      const b = a + Math.ceil((A.length * 4) / 64) * 64;
      const y = b + Math.ceil((B.length * 4) / 64) * 64;
      const need = y + M * N * 4;
      if (need > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
      new Float32Array(k.memory.buffer, a, A.length).set(A);
      new Float32Array(k.memory.buffer, b, B.length).set(B);
      k.gemm(M, K, N, a, b, y, 1);
      const got = new Float32Array(k.memory.buffer, y, M * N).slice();
      const want = reference(M, K, N, A, B);
      expect(got).toEqual(want);
      // one row at a time, each skipping its own zero entries (what the planner picks for the rows of restarts)
      new Float32Array(k.memory.buffer, y, M * N).fill(0);
      (k as unknown as { gemmRows(m: number, k: number, n: number, a: number, b: number, y: number): void }).gemmRows(M, K, N, a, b, y);
      expect(new Float32Array(k.memory.buffer, y, M * N).slice()).toEqual(want);
    });
  }
});
