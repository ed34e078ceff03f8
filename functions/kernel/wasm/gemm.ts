/**
 * Matrix products in f32x4 SIMD, accumulating into Y (which the caller has set to the bias or zero):
 *   gemmNN: Y[M,N] += A[M,K] . B[K,N]      (B row-major [K,N]: axpy over B's rows, SIMD across N)
 *   gemmNT: Y[M,N] += A[M,K] . B[N,K]^T    (B row-major [N,K]: one dot product per element, SIMD across K)
 * Both read B, the weights, once per call whatever M is (restarts and classes share the read): gemmNN walks B
 * in blocks of rows that stay in L1 while every row of A passes over them; gemmNT computes all M dot products of
 * a row of B while it is in L1.
 */

@inline function min32(a: i32, b: i32): i32 { return a < b ? a : b; }

/**
 * One row of A (M = 1) skips its zero entries (ReLU outputs, ReLU-masked gradients: often three in four), and it
 * gathers the others first, branch-free, into a list of (row of B, value): a test per entry inside every strip of
 * columns would be a branch the processor cannot predict, taken again for each strip.
 */
const NZ_CHUNK = 1024;
/** the gathered entries, 8 bytes each: the byte offset of the row of B (i32), the value (f32); two per 128-bit load */
const NZ = memory.data(NZ_CHUNK * 8, 16);

/** the nonzero entries of a[k0..k1) (at most NZ_CHUNK) into NZ; returns their count */
function gatherNonzero(k0: i32, k1: i32, a: usize, rowB: i32): i32 {
  let c = 0;
  for (let k = k0; k < k1; k++) {
    const s = load<f32>(a + (<usize>k << 2));
    const e = NZ + (<usize>c << 3);
    store<i32>(e, k * rowB);
    store<f32>(e, s, 4);
    c += i32(s != 0);
  }
  return c;
}

/** Y[0, n0..N) += A[0, k0..k1) . B[k0..k1, n0..N), in chunks of gathered nonzero entries (each element still sums over k in order) */
function nnRowFrom(n0: i32, k0: i32, k1: i32, N: i32, a: usize, B: usize, y: usize): void {
  for (let c0 = k0; c0 < k1; c0 += NZ_CHUNK) {
    const count = gatherNonzero(c0, min32(k1, c0 + NZ_CHUNK), a, N << 2);
    if (count > 0) nnGathered(n0, count, N, B, y);
  }
}

/**
 * nnRowFrom over the gathered entries: strips of 32 columns held in registers, then the rest. (Node's V8 spills one
 * of the eight accumulators here, and strips of 16 run faster there, but in workerd, where Ascent runs, 32 are
 * faster: fashion-cnn's ascent 33.1 against 35.9 ms, fashion-mlp's the same, `bench/kernel-fresh.ts --warm`.)
 */
function nnGathered(n0: i32, count: i32, N: i32, B: usize, y: usize): void {
  let n = n0;
  for (; n + 32 <= N; n += 32) {
    const yp = y + (<usize>n << 2);
    let c0 = v128.load(yp, 0), c1 = v128.load(yp, 16), c2 = v128.load(yp, 32), c3 = v128.load(yp, 48);
    let c4 = v128.load(yp, 64), c5 = v128.load(yp, 80), c6 = v128.load(yp, 96), c7 = v128.load(yp, 112);
    const bn = B + (<usize>n << 2);
    // two entries per load of the list (every load is bounds-checked in workerd), each still added in order
    let j = 0;
    for (; j + 2 <= count; j += 2) {
      const e = v128.load(NZ + (<usize>j << 3));
      let v = v128.shuffle<f32>(e, e, 1, 1, 1, 1);
      let bp = bn + <usize>i32x4.extract_lane(e, 0);
      c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bp, 0)));
      c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bp, 16)));
      c2 = f32x4.add(c2, f32x4.mul(v, v128.load(bp, 32)));
      c3 = f32x4.add(c3, f32x4.mul(v, v128.load(bp, 48)));
      c4 = f32x4.add(c4, f32x4.mul(v, v128.load(bp, 64)));
      c5 = f32x4.add(c5, f32x4.mul(v, v128.load(bp, 80)));
      c6 = f32x4.add(c6, f32x4.mul(v, v128.load(bp, 96)));
      c7 = f32x4.add(c7, f32x4.mul(v, v128.load(bp, 112)));
      v = v128.shuffle<f32>(e, e, 3, 3, 3, 3);
      bp = bn + <usize>i32x4.extract_lane(e, 2);
      c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bp, 0)));
      c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bp, 16)));
      c2 = f32x4.add(c2, f32x4.mul(v, v128.load(bp, 32)));
      c3 = f32x4.add(c3, f32x4.mul(v, v128.load(bp, 48)));
      c4 = f32x4.add(c4, f32x4.mul(v, v128.load(bp, 64)));
      c5 = f32x4.add(c5, f32x4.mul(v, v128.load(bp, 80)));
      c6 = f32x4.add(c6, f32x4.mul(v, v128.load(bp, 96)));
      c7 = f32x4.add(c7, f32x4.mul(v, v128.load(bp, 112)));
    }
    v128.store(yp, c0, 0); v128.store(yp, c1, 16); v128.store(yp, c2, 32); v128.store(yp, c3, 48);
    v128.store(yp, c4, 64); v128.store(yp, c5, 80); v128.store(yp, c6, 96); v128.store(yp, c7, 112);
    // an odd count's last entry, added to the stored strip (the same operations in the same order)
    if (j < count) {
      const e = NZ + (<usize>j << 3);
      const v = f32x4.splat(load<f32>(e, 4));
      const bp = bn + <usize>load<i32>(e);
      for (let q: usize = 0; q < 128; q += 16) v128.store(yp + q, f32x4.add(v128.load(yp + q), f32x4.mul(v, v128.load(bp + q))));
    }
  }
  if (n < N) nnGatheredRest(n, count, N, B, y);
}

/** nnGathered's columns n0..N left over after the strips of 32 (a function of its own: cold for most layers) */
export function nnGatheredRest(n0: i32, count: i32, N: i32, B: usize, y: usize): void {
  let n = n0;
  for (; n + 16 <= N; n += 16) {
    const yp = y + (<usize>n << 2);
    let c0 = v128.load(yp, 0), c1 = v128.load(yp, 16), c2 = v128.load(yp, 32), c3 = v128.load(yp, 48);
    const bn = B + (<usize>n << 2);
    for (let j = 0; j < count; j++) {
      const e = NZ + (<usize>j << 3);
      const v = f32x4.splat(load<f32>(e, 4));
      const bp = bn + <usize>load<i32>(e);
      c0 = f32x4.add(c0, f32x4.mul(v, v128.load(bp, 0)));
      c1 = f32x4.add(c1, f32x4.mul(v, v128.load(bp, 16)));
      c2 = f32x4.add(c2, f32x4.mul(v, v128.load(bp, 32)));
      c3 = f32x4.add(c3, f32x4.mul(v, v128.load(bp, 48)));
    }
    v128.store(yp, c0, 0); v128.store(yp, c1, 16); v128.store(yp, c2, 32); v128.store(yp, c3, 48);
  }
  for (; n + 4 <= N; n += 4) {
    const yp = y + (<usize>n << 2);
    let c0 = v128.load(yp);
    const bn = B + (<usize>n << 2);
    for (let j = 0; j < count; j++) {
      const e = NZ + (<usize>j << 3);
      c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(e, 4)), v128.load(bn + <usize>load<i32>(e))));
    }
    v128.store(yp, c0);
  }
  for (; n < N; n++) {
    const yp = y + (<usize>n << 2);
    let c = load<f32>(yp);
    const bn = B + (<usize>n << 2);
    for (let j = 0; j < count; j++) {
      const e = NZ + (<usize>j << 3);
      c += load<f32>(e, 4) * load<f32>(bn + <usize>load<i32>(e));
    }
    store<f32>(yp, c);
  }
}

/** lane j of v in all four lanes (one shuffle, no memory access) */
@inline function lane0(v: v128): v128 { return v128.shuffle<f32>(v, v, 0, 0, 0, 0); }
@inline function lane1(v: v128): v128 { return v128.shuffle<f32>(v, v, 1, 1, 1, 1); }
@inline function lane2(v: v128): v128 { return v128.shuffle<f32>(v, v, 2, 2, 2, 2); }
@inline function lane3(v: v128): v128 { return v128.shuffle<f32>(v, v, 3, 3, 3, 3); }

/**
 * Four rows of A at once: a 4 x 8 block of Y in registers, each B load used four times, A read two k at a time
 * (one 64-bit load per row, its lanes broadcast by shuffles; 15 vector registers live, so none spills). Each element still sums over k in order.
 * Fewer loads per multiply matter where every memory access is bounds-checked (workerd runs WebAssembly so).
 */
function nnRows4(k0: i32, k1: i32, K: i32, N: i32, a: usize, B: usize, y: usize): void {
  const rowA = <usize>K << 2;
  const rowB = <usize>N << 2;
  const a0 = a, a1 = a + rowA, a2 = a + 2 * rowA, a3 = a + 3 * rowA;
  const y0 = y, y1 = y + rowB, y2 = y + 2 * rowB, y3 = y + 3 * rowB;
  const k2 = k0 + ((k1 - k0) & ~1);
  const rowB2 = rowB << 1;
  let n = 0;
  for (; n + 8 <= N; n += 8) {
    const o = <usize>n << 2;
    let c00 = v128.load(y0 + o, 0), c01 = v128.load(y0 + o, 16);
    let c10 = v128.load(y1 + o, 0), c11 = v128.load(y1 + o, 16);
    let c20 = v128.load(y2 + o, 0), c21 = v128.load(y2 + o, 16);
    let c30 = v128.load(y3 + o, 0), c31 = v128.load(y3 + o, 16);
    let bp = B + <usize>k0 * rowB + o;
    let k = k0;
    for (; k < k2; k += 2, bp += rowB2) {
      const ko = <usize>k << 2;
      const b00 = v128.load(bp, 0), b01 = v128.load(bp, 16);
      const b10 = v128.load(bp + rowB, 0), b11 = v128.load(bp + rowB, 16);
      let v = v128.load64_splat(a0 + ko);
      let s = lane0(v); c00 = f32x4.add(c00, f32x4.mul(s, b00)); c01 = f32x4.add(c01, f32x4.mul(s, b01));
      s = lane1(v); c00 = f32x4.add(c00, f32x4.mul(s, b10)); c01 = f32x4.add(c01, f32x4.mul(s, b11));
      v = v128.load64_splat(a1 + ko);
      s = lane0(v); c10 = f32x4.add(c10, f32x4.mul(s, b00)); c11 = f32x4.add(c11, f32x4.mul(s, b01));
      s = lane1(v); c10 = f32x4.add(c10, f32x4.mul(s, b10)); c11 = f32x4.add(c11, f32x4.mul(s, b11));
      v = v128.load64_splat(a2 + ko);
      s = lane0(v); c20 = f32x4.add(c20, f32x4.mul(s, b00)); c21 = f32x4.add(c21, f32x4.mul(s, b01));
      s = lane1(v); c20 = f32x4.add(c20, f32x4.mul(s, b10)); c21 = f32x4.add(c21, f32x4.mul(s, b11));
      v = v128.load64_splat(a3 + ko);
      s = lane0(v); c30 = f32x4.add(c30, f32x4.mul(s, b00)); c31 = f32x4.add(c31, f32x4.mul(s, b01));
      s = lane1(v); c30 = f32x4.add(c30, f32x4.mul(s, b10)); c31 = f32x4.add(c31, f32x4.mul(s, b11));
    }
    for (; k < k1; k++, bp += rowB) {
      const b0 = v128.load(bp, 0);
      const b1 = v128.load(bp, 16);
      const ko = <usize>k << 2;
      const s0 = f32x4.splat(load<f32>(a0 + ko));
      const s1 = f32x4.splat(load<f32>(a1 + ko));
      const s2 = f32x4.splat(load<f32>(a2 + ko));
      const s3 = f32x4.splat(load<f32>(a3 + ko));
      c00 = f32x4.add(c00, f32x4.mul(s0, b0)); c01 = f32x4.add(c01, f32x4.mul(s0, b1));
      c10 = f32x4.add(c10, f32x4.mul(s1, b0)); c11 = f32x4.add(c11, f32x4.mul(s1, b1));
      c20 = f32x4.add(c20, f32x4.mul(s2, b0)); c21 = f32x4.add(c21, f32x4.mul(s2, b1));
      c30 = f32x4.add(c30, f32x4.mul(s3, b0)); c31 = f32x4.add(c31, f32x4.mul(s3, b1));
    }
    v128.store(y0 + o, c00, 0); v128.store(y0 + o, c01, 16);
    v128.store(y1 + o, c10, 0); v128.store(y1 + o, c11, 16);
    v128.store(y2 + o, c20, 0); v128.store(y2 + o, c21, 16);
    v128.store(y3 + o, c30, 0); v128.store(y3 + o, c31, 16);
  }
  for (; n + 4 <= N; n += 4) {
    const o = <usize>n << 2;
    let c0 = v128.load(y0 + o), c1 = v128.load(y1 + o), c2 = v128.load(y2 + o), c3 = v128.load(y3 + o);
    let bp = B + <usize>k0 * rowB + o;
    for (let k = k0; k < k1; k++, bp += rowB) {
      const b0 = v128.load(bp);
      const ko = <usize>k << 2;
      c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(a0 + ko)), b0));
      c1 = f32x4.add(c1, f32x4.mul(f32x4.splat(load<f32>(a1 + ko)), b0));
      c2 = f32x4.add(c2, f32x4.mul(f32x4.splat(load<f32>(a2 + ko)), b0));
      c3 = f32x4.add(c3, f32x4.mul(f32x4.splat(load<f32>(a3 + ko)), b0));
    }
    v128.store(y0 + o, c0); v128.store(y1 + o, c1); v128.store(y2 + o, c2); v128.store(y3 + o, c3);
  }
  for (; n < N; n++) {
    const o = <usize>n << 2;
    let c0 = load<f32>(y0 + o), c1 = load<f32>(y1 + o), c2 = load<f32>(y2 + o), c3 = load<f32>(y3 + o);
    let bp = B + <usize>k0 * rowB + o;
    for (let k = k0; k < k1; k++, bp += rowB) {
      const b = load<f32>(bp);
      const ko = <usize>k << 2;
      c0 += load<f32>(a0 + ko) * b;
      c1 += load<f32>(a1 + ko) * b;
      c2 += load<f32>(a2 + ko) * b;
      c3 += load<f32>(a3 + ko) * b;
    }
    store<f32>(y0 + o, c0); store<f32>(y1 + o, c1); store<f32>(y2 + o, c2); store<f32>(y3 + o, c3);
  }
}

/** Two rows of A at once: a 2 x 16 block of Y in registers, each B load used twice, A read two k at a time. */
function nnRows2(k0: i32, k1: i32, K: i32, N: i32, a: usize, B: usize, y: usize): void {
  const rowA = <usize>K << 2;
  const rowB = <usize>N << 2;
  const a0 = a, a1 = a + rowA;
  const y0 = y, y1 = y + rowB;
  const k2 = k0 + ((k1 - k0) & ~1);
  let n = 0;
  for (; n + 16 <= N; n += 16) {
    const o = <usize>n << 2;
    let c00 = v128.load(y0 + o, 0), c01 = v128.load(y0 + o, 16), c02 = v128.load(y0 + o, 32), c03 = v128.load(y0 + o, 48);
    let c10 = v128.load(y1 + o, 0), c11 = v128.load(y1 + o, 16), c12 = v128.load(y1 + o, 32), c13 = v128.load(y1 + o, 48);
    let bp = B + <usize>k0 * rowB + o;
    let k = k0;
    for (; k < k2; k += 2) {
      const ko = <usize>k << 2;
      const u = v128.load64_splat(a0 + ko), v = v128.load64_splat(a1 + ko);
      let s = lane0(u), t = lane0(v);
      let b = v128.load(bp, 0); c00 = f32x4.add(c00, f32x4.mul(s, b)); c10 = f32x4.add(c10, f32x4.mul(t, b));
      b = v128.load(bp, 16); c01 = f32x4.add(c01, f32x4.mul(s, b)); c11 = f32x4.add(c11, f32x4.mul(t, b));
      b = v128.load(bp, 32); c02 = f32x4.add(c02, f32x4.mul(s, b)); c12 = f32x4.add(c12, f32x4.mul(t, b));
      b = v128.load(bp, 48); c03 = f32x4.add(c03, f32x4.mul(s, b)); c13 = f32x4.add(c13, f32x4.mul(t, b));
      bp += rowB;
      s = lane1(u); t = lane1(v);
      b = v128.load(bp, 0); c00 = f32x4.add(c00, f32x4.mul(s, b)); c10 = f32x4.add(c10, f32x4.mul(t, b));
      b = v128.load(bp, 16); c01 = f32x4.add(c01, f32x4.mul(s, b)); c11 = f32x4.add(c11, f32x4.mul(t, b));
      b = v128.load(bp, 32); c02 = f32x4.add(c02, f32x4.mul(s, b)); c12 = f32x4.add(c12, f32x4.mul(t, b));
      b = v128.load(bp, 48); c03 = f32x4.add(c03, f32x4.mul(s, b)); c13 = f32x4.add(c13, f32x4.mul(t, b));
      bp += rowB;
    }
    for (; k < k1; k++, bp += rowB) {
      const ko = <usize>k << 2;
      const s = f32x4.splat(load<f32>(a0 + ko)), t = f32x4.splat(load<f32>(a1 + ko));
      let b = v128.load(bp, 0); c00 = f32x4.add(c00, f32x4.mul(s, b)); c10 = f32x4.add(c10, f32x4.mul(t, b));
      b = v128.load(bp, 16); c01 = f32x4.add(c01, f32x4.mul(s, b)); c11 = f32x4.add(c11, f32x4.mul(t, b));
      b = v128.load(bp, 32); c02 = f32x4.add(c02, f32x4.mul(s, b)); c12 = f32x4.add(c12, f32x4.mul(t, b));
      b = v128.load(bp, 48); c03 = f32x4.add(c03, f32x4.mul(s, b)); c13 = f32x4.add(c13, f32x4.mul(t, b));
    }
    v128.store(y0 + o, c00, 0); v128.store(y0 + o, c01, 16); v128.store(y0 + o, c02, 32); v128.store(y0 + o, c03, 48);
    v128.store(y1 + o, c10, 0); v128.store(y1 + o, c11, 16); v128.store(y1 + o, c12, 32); v128.store(y1 + o, c13, 48);
  }
  // the columns left over: one row at a time
  if (n < N) {
    nnRowFrom(n, k0, k1, N, a0, B, y0);
    nnRowFrom(n, k0, k1, N, a1, B, y1);
  }
}

/** Y[M,N] += A[M,K] . B[K,N]. */
export function gemmNN(M: i32, K: i32, N: i32, A: usize, B: usize, Y: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  if (M == 1) {
    nnRowFrom(0, 0, K, N, A, B, Y);
    return;
  }
  // rows of B per block: about 16 KB of them, so the block stays in L1 while all rows of A use it
  let kb = 4096 / (N > 0 ? N : 1);
  if (kb < 16) kb = 16;
  for (let k0 = 0; k0 < K; k0 += kb) {
    const k1 = min32(K, k0 + kb);
    let m = 0;
    for (; m + 4 <= M; m += 4) nnRows4(k0, k1, K, N, A + <usize>m * rowA, B, Y + <usize>m * rowY);
    for (; m + 2 <= M; m += 2) nnRows2(k0, k1, K, N, A + <usize>m * rowA, B, Y + <usize>m * rowY);
    for (; m < M; m++) nnRowFrom(0, k0, k1, N, A + <usize>m * rowA, B, Y + <usize>m * rowY);
  }
}

/**
 * Y[M,N] += A[M,K] . B[K,N] one row of A at a time, each skipping its zero entries: for rows that are mostly zeros
 * each in its own places (ReLU-masked gradients of restarts), less work than the blocked product, which reads B
 * once for all rows but multiplies every entry.
 */
export function gemmRows(M: i32, K: i32, N: i32, A: usize, B: usize, Y: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  for (let m = 0; m < M; m++) nnRowFrom(0, 0, K, N, A + <usize>m * rowA, B, Y + <usize>m * rowY);
}

/**
 * Whether more than half of a[0..count) are nonzero. A product marked for rows that skip zeros (GEMM_ROWS: its A is
 * a ReLU output or a ReLU-masked gradient) runs blocked instead when its A turns out mostly nonzero (fashion-cnn's
 * pooled features are): the blocked product reads each weight once for all rows, the rows each read those of
 * their nonzero entries, and the sums are the same (with finite weights a zero entry adds nothing).
 */
export function mostlyNonzero(count: i32, a: usize): bool {
  let on = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) on = i32x4.sub(on, f32x4.ne(v128.load(a + (<usize>i << 2)), f32x4.splat(0)));
  let n = i32x4.extract_lane(on, 0) + i32x4.extract_lane(on, 1) + i32x4.extract_lane(on, 2) + i32x4.extract_lane(on, 3);
  for (; i < count; i++) n += i32(load<f32>(a + (<usize>i << 2)) != 0);
  return 2 * n > count;
}

/** sum of a[0..K) * b[0..K) with four SIMD accumulators */
@inline function dot(K: i32, a: usize, b: usize): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let k = 0;
  for (; k + 16 <= K; k += 16) {
    const o = <usize>k << 2;
    c0 = f32x4.add(c0, f32x4.mul(v128.load(a + o, 0), v128.load(b + o, 0)));
    c1 = f32x4.add(c1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    c2 = f32x4.add(c2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    c3 = f32x4.add(c3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k << 2;
    c0 = f32x4.add(c0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  const c = f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3));
  let s = (f32x4.extract_lane(c, 0) + f32x4.extract_lane(c, 1)) + (f32x4.extract_lane(c, 2) + f32x4.extract_lane(c, 3));
  for (; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/** transpose-and-add: lane j = the sum of c_j's lanes */
@inline function sum4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(c0, c1, 0, 4, 1, 5), v128.shuffle<f32>(c0, c1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(c2, c3, 0, 4, 1, 5), v128.shuffle<f32>(c2, c3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** the four dot products of a[0..K) with b0..b3, as one vector */
@inline function dot4(K: i32, a: usize, b0: usize, b1: usize, b2: usize, b3: usize): v128 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k << 2;
    const v = v128.load(a + o);
    c0 = f32x4.add(c0, f32x4.mul(v, v128.load(b0 + o)));
    c1 = f32x4.add(c1, f32x4.mul(v, v128.load(b1 + o)));
    c2 = f32x4.add(c2, f32x4.mul(v, v128.load(b2 + o)));
    c3 = f32x4.add(c3, f32x4.mul(v, v128.load(b3 + o)));
  }
  let s = sum4(c0, c1, c2, c3);
  for (; k < K; k++) {
    const o = <usize>k << 2;
    const v = load<f32>(a + o);
    s = f32x4.add(s, f32x4(v * load<f32>(b0 + o), v * load<f32>(b1 + o), v * load<f32>(b2 + o), v * load<f32>(b3 + o)));
  }
  return s;
}

/** y0 += the four dot products of a0 with b0..b3, y1 += those of a1: dot4 for two rows of A, each B load used twice */
export function dot4x2(K: i32, a0: usize, a1: usize, b0: usize, b1: usize, b2: usize, b3: usize, y0: usize, y1: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k << 2;
    const u = v128.load(a0 + o), v = v128.load(a1 + o);
    let b = v128.load(b0 + o);
    c0 = f32x4.add(c0, f32x4.mul(u, b)); d0 = f32x4.add(d0, f32x4.mul(v, b));
    b = v128.load(b1 + o);
    c1 = f32x4.add(c1, f32x4.mul(u, b)); d1 = f32x4.add(d1, f32x4.mul(v, b));
    b = v128.load(b2 + o);
    c2 = f32x4.add(c2, f32x4.mul(u, b)); d2 = f32x4.add(d2, f32x4.mul(v, b));
    b = v128.load(b3 + o);
    c3 = f32x4.add(c3, f32x4.mul(u, b)); d3 = f32x4.add(d3, f32x4.mul(v, b));
  }
  let s = sum4(c0, c1, c2, c3), t = sum4(d0, d1, d2, d3);
  for (; k < K; k++) {
    const o = <usize>k << 2;
    const u = load<f32>(a0 + o), v = load<f32>(a1 + o);
    const e0 = load<f32>(b0 + o), e1 = load<f32>(b1 + o), e2 = load<f32>(b2 + o), e3 = load<f32>(b3 + o);
    s = f32x4.add(s, f32x4(u * e0, u * e1, u * e2, u * e3));
    t = f32x4.add(t, f32x4(v * e0, v * e1, v * e2, v * e3));
  }
  v128.store(y0, f32x4.add(v128.load(y0), s));
  v128.store(y1, f32x4.add(v128.load(y1), t));
}

/**
 * Y[M,N] += A[M,K] . B[N,K]^T; with a mask (a tensor shaped like Y, or 0): Y = mask > 0 ? Y + A.B^T : 0, and
 * the dot products of masked elements are skipped (a row of B nobody needs is never read). Four rows of B at a
 * time share each load of A; without a mask, two rows of A at a time share each load of B. The cases are
 * functions of their own, so V8 compiles (and tiers up) only the ones a program runs, each quickly.
 */
export function gemmNT(M: i32, K: i32, N: i32, A: usize, B: usize, Y: usize, mask: usize): void {
  const n4 = N & ~3;
  if (mask == 0) ntPlain(M, K, N, n4, A, B, Y);
  else ntMasked(M, K, N, n4, A, B, Y, mask);
  if (n4 < N) ntColumns(n4, M, K, N, A, B, Y, mask);
}

/** gemmNT's columns 0..n4 (a multiple of 4) without a mask: two rows of A at a time, then the row left over */
export function ntPlain(M: i32, K: i32, N: i32, n4: i32, A: usize, B: usize, Y: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  const m2 = M & ~1;
  if (m2 > 0) ntPairs(m2, K, N, n4, A, B, Y);
  if (m2 < M) ntRow(K, n4, A + <usize>m2 * rowA, B, Y + <usize>m2 * rowY);
}

/** rows 0..m2 (a multiple of 2) of gemmNT's columns 0..n4, two rows at a time */
export function ntPairs(m2: i32, K: i32, N: i32, n4: i32, A: usize, B: usize, Y: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  for (let n = 0; n < n4; n += 4) {
    const b0 = B + <usize>n * rowA;
    const no = <usize>n << 2;
    for (let m = 0; m < m2; m += 2) {
      const yp = Y + <usize>m * rowY + no;
      const a = A + <usize>m * rowA;
      dot4x2(K, a, a + rowA, b0, b0 + rowA, b0 + 2 * rowA, b0 + 3 * rowA, yp, yp + rowY);
    }
  }
}

/** one row a of A against columns 0..n4 of gemmNT, four at a time */
export function ntRow(K: i32, n4: i32, a: usize, B: usize, y: usize): void {
  const rowA = <usize>K << 2;
  for (let n = 0; n < n4; n += 4) {
    const b0 = B + <usize>n * rowA;
    const yp = y + (<usize>n << 2);
    v128.store(yp, f32x4.add(v128.load(yp), dot4(K, a, b0, b0 + rowA, b0 + 2 * rowA, b0 + 3 * rowA)));
  }
}

/** gemmNT's columns 0..n4 (a multiple of 4) with a mask: four elements at a time, all off, all on or mixed */
export function ntMasked(M: i32, K: i32, N: i32, n4: i32, A: usize, B: usize, Y: usize, mask: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  for (let n = 0; n < n4; n += 4) {
    const b0 = B + <usize>n * rowA;
    const no = <usize>n << 2;
    for (let m = 0; m < M; m++) {
      const yp = Y + <usize>m * rowY + no;
      const a = A + <usize>m * rowA;
      const mp = mask + <usize>m * rowY + no;
      const on = f32x4.gt(v128.load(mp), f32x4.splat(0));
      if (!v128.any_true(on)) v128.store(yp, f32x4.splat(0));
      else if (!i32x4.all_true(on)) ntMixed(K, a, b0, mp, yp);
      else v128.store(yp, f32x4.add(v128.load(yp), dot4(K, a, b0, b0 + rowA, b0 + 2 * rowA, b0 + 3 * rowA)));
    }
  }
}

/** four elements yp[0..4) of which some are masked: one dot product each for those that are not */
export function ntMixed(K: i32, a: usize, b0: usize, mp: usize, yp: usize): void {
  const rowA = <usize>K << 2;
  for (let j = 0; j < 4; j++) {
    const q = yp + (<usize>j << 2);
    if (load<f32>(mp + (<usize>j << 2)) > 0) store<f32>(q, load<f32>(q) + dot(K, a, b0 + <usize>j * rowA));
    else store<f32>(q, 0);
  }
}

/** gemmNT's columns n0..N (fewer than four), one dot product each */
export function ntColumns(n0: i32, M: i32, K: i32, N: i32, A: usize, B: usize, Y: usize, mask: usize): void {
  const rowA = <usize>K << 2;
  const rowY = <usize>N << 2;
  for (let n = n0; n < N; n++) {
    const b = B + <usize>n * rowA;
    const no = <usize>n << 2;
    for (let m = 0; m < M; m++) {
      const yp = Y + <usize>m * rowY + no;
      if (mask != 0 && !(load<f32>(mask + <usize>m * rowY + no) > 0)) {
        store<f32>(yp, 0);
        continue;
      }
      store<f32>(yp, load<f32>(yp) + dot(K, A + <usize>m * rowA, b));
    }
  }
}
