/**
 * 2-D convolution (NCHW, strides, pads, dilations, groups) as im2col + GEMM, and its adjoint, the input
 * gradient, as GEMM with the transposed weights + col2im:
 *   col[(c*KH + ky)*KW + kx, oy*OW + ox] = X[c, oy*SY - PT + ky*DY, ox*SX - PL + kx*DX]   (0 outside X)
 *   Y[m, :] = W[m, :] . col + b[m]                                  forward, per sample and group
 *   dcol = W^T . G;  dX[c, iy, ix] += dcol[(c, ky, kx), (oy, ox)]   backward (ConvTranspose of the compiler)
 */
import { gemmNN } from './gemm';

/** Columns of output row oy..: the range of ox whose input column ox*SX - PL + kx*DX lies inside [0, W). */
@inline function firstOx(PL: i32, off: i32, SX: i32): i32 {
  // smallest ox >= 0 with ox*SX - PL + off >= 0
  const need = PL - off;
  return need <= 0 ? 0 : (need + SX - 1) / SX;
}
@inline function endOx(W: i32, PL: i32, off: i32, SX: i32, OW: i32): i32 {
  // one past the largest ox with ox*SX - PL + off <= W - 1
  const top = W - 1 + PL - off;
  if (top < 0) return 0;
  const e = top / SX + 1;
  return e < OW ? e : OW;
}

export function im2col(C: i32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, DY: i32, DX: i32, X: usize, col: usize): void {
  const plane = <usize>(OH * OW) << 2;
  let row = col;
  for (let c = 0; c < C; c++) {
    const xc = X + (<usize>(c * H * W) << 2);
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, row += plane) {
        const off = kx * DX;
        const ox0 = firstOx(PL, off, SX);
        const ox1 = endOx(W, PL, off, SX, OW);
        for (let oy = 0; oy < OH; oy++) {
          const dst = row + (<usize>(oy * OW) << 2);
          const iy = oy * SY - PT + ky * DY;
          if (iy < 0 || iy >= H || ox1 <= ox0) {
            memory.fill(dst, 0, <usize>OW << 2);
            continue;
          }
          if (ox0 > 0) memory.fill(dst, 0, <usize>ox0 << 2);
          if (ox1 < OW) memory.fill(dst + (<usize>ox1 << 2), 0, <usize>(OW - ox1) << 2);
          const src = xc + (<usize>(iy * W) << 2);
          if (SX == 1) {
            memory.copy(dst + (<usize>ox0 << 2), src + (<usize>(ox0 - PL + off) << 2), <usize>(ox1 - ox0) << 2);
          } else {
            for (let ox = ox0; ox < ox1; ox++) store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>(ox * SX - PL + off) << 2)));
          }
        }
      }
    }
  }
}

/** dX[c, iy, ix] += col[(c, ky, kx), (oy, ox)]: the adjoint of im2col. */
export function col2im(C: i32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, DY: i32, DX: i32, col: usize, X: usize): void {
  const plane = <usize>(OH * OW) << 2;
  let row = col;
  for (let c = 0; c < C; c++) {
    const xc = X + (<usize>(c * H * W) << 2);
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, row += plane) {
        const off = kx * DX;
        const ox0 = firstOx(PL, off, SX);
        const ox1 = endOx(W, PL, off, SX, OW);
        if (ox1 <= ox0) continue;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * SY - PT + ky * DY;
          if (iy < 0 || iy >= H) continue;
          const src = row + (<usize>(oy * OW) << 2);
          const dst = xc + (<usize>(iy * W) << 2);
          if (SX == 1) {
            const d = dst + (<usize>(off - PL) << 2);
            let ox = ox0;
            for (; ox + 4 <= ox1; ox += 4) {
              const o = <usize>ox << 2;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(src + o)));
            }
            for (; ox < ox1; ox++) {
              const o = <usize>ox << 2;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(src + o));
            }
          } else {
            for (let ox = ox0; ox < ox1; ox++) {
              const p = dst + (<usize>(ox * SX - PL + off) << 2);
              store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>ox << 2)));
            }
          }
        }
      }
    }
  }
}

/** Y[n] = conv(X[n], W) + b, per group; relu: max(0, .) after. */
export function conv(N: i32, C: i32, H: i32, W: i32, M: i32, OH: i32, OW: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, DY: i32, DX: i32, G: i32, X: usize, Wt: usize, bias: usize, Y: usize, col: usize, relu: bool): void {
  const Cg = C / G;
  const Mg = M / G;
  const K = Cg * KH * KW;
  const P = OH * OW;
  // a 1x1 convolution with unit strides and no padding reads the input plane as it is
  const direct = KH == 1 && KW == 1 && SY == 1 && SX == 1 && PT == 0 && PL == 0 && OH == H && OW == W;
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const xg = X + (<usize>((n * C + g * Cg) * H * W) << 2);
      const yg = Y + (<usize>((n * M + g * Mg) * P) << 2);
      for (let m = 0; m < Mg; m++) {
        const b: f32 = bias != 0 ? load<f32>(bias + (<usize>(g * Mg + m) << 2)) : 0;
        const yp = yg + (<usize>(m * P) << 2);
        const v = f32x4.splat(b);
        let i = 0;
        for (; i + 4 <= P; i += 4) v128.store(yp + (<usize>i << 2), v);
        for (; i < P; i++) store<f32>(yp + (<usize>i << 2), b);
      }
      let source = col;
      if (direct) source = xg;
      else im2col(Cg, H, W, OH, OW, KH, KW, SY, SX, PT, PL, DY, DX, xg, col);
      gemmNN(Mg, K, P, Wt + (<usize>(g * Mg * K) << 2), source, yg);
    }
  }
  if (relu) {
    const total = N * M * P;
    const zero = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= total; i += 4) {
      const p = Y + (<usize>i << 2);
      v128.store(p, f32x4.max(v128.load(p), zero));
    }
    for (; i < total; i++) {
      const p = Y + (<usize>i << 2);
      const v = load<f32>(p);
      store<f32>(p, v > 0 ? v : 0);
    }
  }
}

/**
 * The input gradient of a convolution (ONNX ConvTranspose with the forward's geometry): G [N, C, OH, OW] (C: the
 * forward's output channels) to Y [N, M, H, W]. Wt holds per group the weights transposed at plan time,
 * [M/G * KH * KW, C/G].
 */
export function convT(N: i32, C: i32, OH: i32, OW: i32, M: i32, H: i32, W: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, DY: i32, DX: i32, G: i32, Gin: usize, Wt: usize, Y: usize, col: usize): void {
  const Cg = C / G;
  const Mg = M / G;
  const R = Mg * KH * KW;
  const P = OH * OW;
  memory.fill(Y, 0, <usize>(N * M * H * W) << 2);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < G; g++) {
      const gp = Gin + (<usize>((n * C + g * Cg) * P) << 2);
      const yg = Y + (<usize>((n * M + g * Mg) * H * W) << 2);
      memory.fill(col, 0, <usize>(R * P) << 2);
      gemmNN(R, Cg, P, Wt + (<usize>(g * R * Cg) << 2), gp, col);
      col2im(Mg, H, W, OH, OW, KH, KW, SY, SX, PT, PL, DY, DX, col, yg);
    }
  }
}
