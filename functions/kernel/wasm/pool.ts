/**
 * Pooling over 2-D windows (NCHW):
 *   maxPool:  Y = max over the window, IDX = where it came from (iy * W + ix; the first one on ties, as
 *             onnxruntime), -1 for a window entirely in the padding
 *   unpool:   its backward: Y = 0, Y[IDX[i]] += G[i] per plane (the gradient goes to each window's arg-max)
 *   avgPool:  Y = sum over the window / count (count_include_pad: the window's size within the padded input)
 */

/**
 * The common 2x2 window with stride 2 and no padding, four outputs at a time without branches: the rows' even
 * and odd columns compared lane by lane (strictly greater replaces, so the first maximum wins, as above).
 */
function pool2x2(W: i32, OH: i32, OW: i32, x: usize, y: usize, idx: usize, keep: bool): void {
  for (let oy = 0; oy < OH; oy++) {
    const r0 = x + (<usize>(2 * oy * W) << 2);
    const r1 = r0 + (<usize>W << 2);
    const base = 2 * oy * W;
    let at0 = i32x4(base, base + 2, base + 4, base + 6);
    let ox = 0;
    for (; ox + 4 <= OW; ox += 4, at0 = i32x4.add(at0, i32x4.splat(8))) {
      const c = <usize>(2 * ox) << 2;
      const a = v128.load(r0 + c, 0);
      const b = v128.load(r0 + c, 16);
      const d = v128.load(r1 + c, 0);
      const e = v128.load(r1 + c, 16);
      let best = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
      let at = at0;
      let v = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
      let gt = f32x4.gt(v, best);
      best = v128.bitselect(v, best, gt);
      at = v128.bitselect(i32x4.add(at0, i32x4.splat(1)), at, gt);
      const below = i32x4.add(at0, i32x4.splat(W));
      v = v128.shuffle<f32>(d, e, 0, 2, 4, 6);
      gt = f32x4.gt(v, best);
      best = v128.bitselect(v, best, gt);
      at = v128.bitselect(below, at, gt);
      v = v128.shuffle<f32>(d, e, 1, 3, 5, 7);
      gt = f32x4.gt(v, best);
      best = v128.bitselect(v, best, gt);
      at = v128.bitselect(i32x4.add(below, i32x4.splat(1)), at, gt);
      const o = <usize>(oy * OW + ox) << 2;
      v128.store(y + o, best);
      if (keep) v128.store(idx + o, at);
    }
    for (; ox < OW; ox++) {
      const c = <usize>(2 * ox) << 2;
      let best = load<f32>(r0 + c);
      let at = base + 2 * ox;
      let v = load<f32>(r0 + c, 4);
      if (v > best) { best = v; at = base + 2 * ox + 1; }
      v = load<f32>(r1 + c);
      if (v > best) { best = v; at = base + W + 2 * ox; }
      v = load<f32>(r1 + c, 4);
      if (v > best) { best = v; at = base + W + 2 * ox + 1; }
      const o = <usize>(oy * OW + ox) << 2;
      store<f32>(y + o, best);
      if (keep) store<i32>(idx + o, at);
    }
  }
}

export function maxPool(N: i32, C: i32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, DY: i32, DX: i32, X: usize, Y: usize, IDX: usize): void {
  const planes = N * C;
  for (let p = 0; p < planes; p++) {
    const x = X + (<usize>(p * H * W) << 2);
    const y = Y + (<usize>(p * OH * OW) << 2);
    const idx = IDX + (<usize>(p * OH * OW) << 2);
    if (KH == 2 && KW == 2 && SY == 2 && SX == 2 && PT == 0 && PL == 0 && DY == 1 && DX == 1 && 2 * OH <= H && 2 * OW <= W) {
      pool2x2(W, OH, OW, x, y, idx, IDX != 0);
      continue;
    }
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let best: f32 = -Infinity;
        let at = -1;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * SY - PT + ky * DY;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * SX - PL + kx * DX;
            if (ix < 0 || ix >= W) continue;
            const v = load<f32>(x + (<usize>(iy * W + ix) << 2));
            if (at < 0 || v > best) { best = v; at = iy * W + ix; }
          }
        }
        const o = <usize>(oy * OW + ox) << 2;
        store<f32>(y + o, at < 0 ? 0 : best);
        if (IDX != 0) store<i32>(idx + o, at);
      }
    }
  }
}

export function unpool(N: i32, C: i32, PIN: i32, POUT: i32, G: usize, IDX: usize, Y: usize): void {
  memory.fill(Y, 0, <usize>(N * C * POUT) << 2);
  const planes = N * C;
  for (let p = 0; p < planes; p++) {
    const g = G + (<usize>(p * PIN) << 2);
    const idx = IDX + (<usize>(p * PIN) << 2);
    const y = Y + (<usize>(p * POUT) << 2);
    for (let i = 0; i < PIN; i++) {
      const v = load<f32>(g + (<usize>i << 2));
      if (v == 0) continue;
      const at = load<i32>(idx + (<usize>i << 2));
      if (at < 0) continue;
      const q = y + (<usize>at << 2);
      store<f32>(q, load<f32>(q) + v);
    }
  }
}

export function avgPool(N: i32, C: i32, H: i32, W: i32, OH: i32, OW: i32, KH: i32, KW: i32, SY: i32, SX: i32, PT: i32, PL: i32, PB: i32, PR: i32, includePad: bool, X: usize, Y: usize): void {
  const planes = N * C;
  for (let p = 0; p < planes; p++) {
    const x = X + (<usize>(p * H * W) << 2);
    const y = Y + (<usize>(p * OH * OW) << 2);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let sum: f32 = 0;
        let count = 0;
        let padded = 0;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * SY - PT + ky;
          const rowInPad = iy >= -PT && iy < H + PB;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * SX - PL + kx;
            if (rowInPad && ix >= -PL && ix < W + PR) padded++;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            sum += load<f32>(x + (<usize>(iy * W + ix) << 2));
            count++;
          }
        }
        const d = includePad ? padded : count;
        store<f32>(y + (<usize>(oy * OW + ox) << 2), d > 0 ? sum / <f32>d : 0);
      }
    }
  }
}
