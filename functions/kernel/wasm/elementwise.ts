/**
 * Elementwise and small reshaping kernels: broadcasting binary ops over four axes (strides 0 on broadcast axes,
 * the innermost axis in SIMD when both operands are contiguous or one is broadcast), unary ops, the ReLU mask
 * select, softmax rows, reductions over a middle axis, a 4-axis transpose and the per-channel affine map of an
 * inference batch normalization.
 */
import { BIN_ADD, BIN_COPY, BIN_DIV, BIN_MUL, BIN_SUB, UN_EXP, UN_NEG, UN_RELU, UN_SIGMOID } from '../abi';

@inline function op4(kind: i32, a: v128, b: v128): v128 {
  if (kind == BIN_ADD) return f32x4.add(a, b);
  if (kind == BIN_SUB) return f32x4.sub(a, b);
  if (kind == BIN_MUL) return f32x4.mul(a, b);
  if (kind == BIN_DIV) return f32x4.div(a, b);
  return a;
}
@inline function op1(kind: i32, a: f32, b: f32): f32 {
  if (kind == BIN_ADD) return a + b;
  if (kind == BIN_SUB) return a - b;
  if (kind == BIN_MUL) return a * b;
  if (kind == BIN_DIV) return a / b;
  return a;
}

/** one row of the innermost axis: y[i] = a[i * as] op b[i * bs] */
function row(kind: i32, n: i32, a: usize, as: i32, b: usize, bs: i32, y: usize): void {
  let i = 0;
  if (as == 1 && (bs == 1 || bs == 0 || kind == BIN_COPY)) {
    if (kind == BIN_COPY) {
      memory.copy(y, a, <usize>n << 2);
      return;
    }
    if (bs == 1) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, op4(kind, v128.load(a + o), v128.load(b + o)));
      }
    } else {
      const vb = f32x4.splat(load<f32>(b));
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, op4(kind, v128.load(a + o), vb));
      }
    }
  } else if (as == 0 && bs == 1) {
    const va = f32x4.splat(load<f32>(a));
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, op4(kind, va, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const bv: f32 = kind == BIN_COPY ? 0 : load<f32>(b + (<usize>(i * bs) << 2));
    store<f32>(y + (<usize>i << 2), op1(kind, load<f32>(a + (<usize>(i * as) << 2)), bv));
  }
}

export function binary(kind: i32, d0: i32, d1: i32, d2: i32, d3: i32, as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32, A: usize, B: usize, Y: usize): void {
  let y = Y;
  const rowBytes = <usize>d3 << 2;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++, y += rowBytes) {
        const a = A + (<usize>(i0 * as0 + i1 * as1 + i2 * as2) << 2);
        const b = B + (<usize>(i0 * bs0 + i1 * bs1 + i2 * bs2) << 2);
        row(kind, d3, a, as3, b, bs3, y);
      }
    }
  }
}

export function unary(kind: i32, n: i32, X: usize, Y: usize): void {
  let i = 0;
  if (kind == UN_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(Y + o, f32x4.max(v128.load(X + o), zero));
    }
    for (; i < n; i++) {
      const v = load<f32>(X + (<usize>i << 2));
      store<f32>(Y + (<usize>i << 2), v > 0 ? v : 0);
    }
  } else if (kind == UN_EXP) {
    for (; i < n; i++) store<f32>(Y + (<usize>i << 2), <f32>Math.exp(<f64>load<f32>(X + (<usize>i << 2))));
  } else if (kind == UN_NEG) {
    for (; i < n; i++) store<f32>(Y + (<usize>i << 2), -load<f32>(X + (<usize>i << 2)));
  } else if (kind == UN_SIGMOID) {
    for (; i < n; i++) store<f32>(Y + (<usize>i << 2), <f32>(1 / (1 + Math.exp(-<f64>load<f32>(X + (<usize>i << 2))))));
  }
}

/** Y = T > c ? A : b */
export function selectGt(n: i32, T: usize, c: f32, A: usize, b: f32, Y: usize): void {
  const vc = f32x4.splat(c);
  const vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(Y + o, v128.bitselect(v128.load(A + o), vb, f32x4.gt(v128.load(T + o), vc)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, load<f32>(T + o) > c ? load<f32>(A + o) : b);
  }
}

/** softmax (or log-softmax) of each row, in f64 */
export function softmax(rows: i32, cols: i32, X: usize, Y: usize, log: bool): void {
  for (let r = 0; r < rows; r++) {
    const x = X + (<usize>(r * cols) << 2);
    const y = Y + (<usize>(r * cols) << 2);
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, <f64>load<f32>(x + (<usize>c << 2)));
    let sum = 0.0;
    for (let c = 0; c < cols; c++) sum += Math.exp(<f64>load<f32>(x + (<usize>c << 2)) - max);
    const shift = max + Math.log(sum);
    for (let c = 0; c < cols; c++) {
      const v = <f64>load<f32>(x + (<usize>c << 2)) - shift;
      store<f32>(y + (<usize>c << 2), <f32>(log ? v : Math.exp(v)));
    }
  }
}

/** Y[o, i] = scale * sum over m of X[o, m, i] */
export function reduce(outer: i32, mid: i32, inner: i32, X: usize, Y: usize, scale: f32): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s: f32 = 0;
      let p = X + (<usize>(o * mid * inner + i) << 2);
      for (let m = 0; m < mid; m++, p += <usize>inner << 2) s += load<f32>(p);
      store<f32>(Y + (<usize>(o * inner + i) << 2), s * scale);
    }
  }
}

export function transpose(d0: i32, d1: i32, d2: i32, d3: i32, s0: i32, s1: i32, s2: i32, s3: i32, X: usize, Y: usize): void {
  let y = Y;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const x = X + (<usize>(i0 * s0 + i1 * s1 + i2 * s2) << 2);
        for (let i3 = 0; i3 < d3; i3++, y += 4) store<f32>(y, load<f32>(x + (<usize>(i3 * s3) << 2)));
      }
    }
  }
}

export function affine(N: i32, C: i32, inner: i32, X: usize, S: usize, T: usize, Y: usize): void {
  let p: usize = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const s = load<f32>(S + (<usize>c << 2));
      const t = load<f32>(T + (<usize>c << 2));
      for (let i = 0; i < inner; i++, p += 4) store<f32>(Y + p, load<f32>(X + p) * s + t);
    }
  }
}
