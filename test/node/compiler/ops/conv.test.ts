/**
 * Gradients of Conv (functions/compiler/ops/conv.ts) against tf.grad over random geometries: 1-D and 2-D,
 * strides 1-3, explicit pads (asymmetric too), auto_pad SAME_UPPER/SAME_LOWER/VALID, dilations 1-2, group 1,
 * 2 and depthwise, rectangular kernels, with and without bias.
 *
 * The reference follows the ONNX definition directly: zero-pad, dilate the kernel by inserting zeros, split the
 * channels into groups and run a VALID strided tfjs conv2d per group (NHWC/HWIO, so transposes at both ends).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A, type Attr } from '../../../../functions/onnx/model.js';
import { floats } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface ConvGeometry {
  /** spatial input sizes (1 or 2 of them) */
  spatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** explicit pads [begin..., end...] (auto_pad NOTSET) */
  pads: number[];
  autoPad: AutoPad;
}

const extent = (k: number, d: number) => (k - 1) * d + 1;

/** The pads the ONNX spec prescribes for a geometry (auto_pad resolved). */
function resolvedPads(g: ConvGeometry): number[] {
  const r = g.spatial.length;
  if (g.autoPad === 'VALID') return Array<number>(2 * r).fill(0);
  if (g.autoPad === 'NOTSET') return g.pads;
  const begin: number[] = [];
  const end: number[] = [];
  g.spatial.forEach((size, i) => {
    const out = Math.ceil(size / g.strides[i]!);
    const total = Math.max(0, (out - 1) * g.strides[i]! + extent(g.kernel[i]!, g.dilations[i]!) - size);
    const small = Math.floor(total / 2);
    begin.push(g.autoPad === 'SAME_UPPER' ? small : total - small);
    end.push(total - begin[i]!);
  });
  return [...begin, ...end];
}

/** Kernel [O, I, k...] with zeros inserted between taps: [O, I, extent...]. */
function dilateKernel(w: Float32Array, dims: number[], dilations: number[]): { data: Float32Array; dims: number[] } {
  const [o, c, kh, kw] = dims.length === 4 ? dims as [number, number, number, number] : [dims[0]!, dims[1]!, 1, dims[2]!];
  const [dh, dw] = dilations.length === 2 ? dilations as [number, number] : [1, dilations[0]!];
  const eh = extent(kh, dh);
  const ew = extent(kw, dw);
  const out = new Float32Array(o * c * eh * ew);
  for (let a = 0; a < o * c; a++) {
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) out[(a * eh + i * dh) * ew + j * dw] = w[(a * kh + i) * kw + j]!;
  }
  return { data: out, dims: [o, c, eh, ew] };
}

/** ONNX Conv in tfjs: x [N, C, (H,) W], weights [O, C/group, (kh,) kw] given as raw values. */
function referenceConv(x: tf.Tensor, w: Float32Array, wDims: number[], g: ConvGeometry, group: number, bias?: tf.Tensor): tf.Tensor {
  const oneD = g.spatial.length === 1;
  const pads = resolvedPads(g);
  const [pt, pl, pb, pr] = oneD ? [0, pads[0]!, 0, pads[1]!] : [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
  const strides: [number, number] = oneD ? [1, g.strides[0]!] : [g.strides[0]!, g.strides[1]!];
  const x4 = oneD ? tf.reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]) : x;
  const nhwc = tf.pad(tf.transpose(x4, [0, 2, 3, 1]), [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  const k = dilateKernel(w, wDims, g.dilations);
  const hwio = tf.transpose(tf.tensor(k.data, k.dims), [2, 3, 1, 0]);
  const xs = group === 1 ? [nhwc] : tf.split(nhwc, group, 3);
  const ks = group === 1 ? [hwio] : tf.split(hwio, group, 3);
  const parts = xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ks[i] as tf.Tensor4D, strides, 'valid'));
  let y = tf.transpose(parts.length === 1 ? parts[0]! : tf.concat(parts, 3), [0, 3, 1, 2]);
  if (bias) y = tf.add(y, tf.reshape(bias, [-1, 1, 1]));
  return oneD ? tf.reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]) : y;
}

function outSize(size: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((size + pb + pe - extent(k, d)) / s) + 1;
}

function randomGeometry(rng: Rng, dims: number): ConvGeometry {
  for (;;) {
    const spatial = Array.from({ length: dims }, () => rng.int(3, 8));
    const kernel = Array.from({ length: dims }, () => rng.int(1, 3));
    const strides = Array.from({ length: dims }, () => rng.int(1, 3));
    const dilations = Array.from({ length: dims }, () => rng.int(1, 2));
    const pads = Array.from({ length: 2 * dims }, () => rng.int(0, 2));
    const autoPad = rng.pick<AutoPad>(['NOTSET', 'NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);
    const g: ConvGeometry = { spatial, kernel, strides, dilations, pads, autoPad };
    const p = resolvedPads(g);
    if (spatial.every((s, i) => outSize(s, kernel[i]!, strides[i]!, dilations[i]!, p[i]!, p[i + dims]!) >= 1)) return g;
  }
}

describe('Conv', () => {
  it('matches tf.grad over random geometries, groups and biases', async () => {
    const rng = new Rng(61);
    const cases: OpCase[] = [];
    for (let t = 0; t < 36; t++) {
      const dims = t % 4 === 3 ? 1 : 2;
      const g = randomGeometry(rng, dims);
      const groupKind = rng.pick(['1', '1', '2', 'depthwise'] as const);
      const group = groupKind === '1' ? 1 : groupKind === '2' ? 2 : rng.int(2, 3);
      const cin = groupKind === '1' ? rng.int(1, 3) : groupKind === '2' ? 2 * rng.int(1, 2) : group;
      const cout = groupKind === 'depthwise' ? group * rng.int(1, 2) : group * rng.int(1, 2);
      const wDims = [cout, cin / group, ...g.kernel];
      const w = rng.floats(wDims.reduce((a, b) => a * b, 1));
      const withBias = rng.next() < 0.5;
      const attrs: Record<string, Attr> = {
        strides: A.ints(g.strides),
        dilations: A.ints(g.dilations),
        group: A.int(group),
        ...(g.autoPad === 'NOTSET' ? { pads: A.ints(g.pads) } : { auto_pad: A.string(g.autoPad) }),
        ...(rng.next() < 0.5 ? { kernel_shape: A.ints(g.kernel) } : {}),
      };
      const inputShape = [rng.int(1, 2), cin, ...g.spatial];
      cases.push({
        name: `Conv x[${inputShape}] W[${wDims}] strides=[${g.strides}] dilations=[${g.dilations}] group=${group} ${g.autoPad === 'NOTSET' ? `pads=[${g.pads}]` : g.autoPad}${withBias ? ' +bias' : ''}`,
        inputShape,
        nodes: [node('Conv', withBias ? ['x', 'W', 'B'] : ['x', 'W'], 'y', attrs)],
        initializers: { W: floats(wDims, w), B: floats([cout], rng.floats(cout)) },
        oracle: (x, c) => referenceConv(x, w, wDims, g, group, withBias ? c.B : undefined),
      });
    }
    // named corners: a 3x3 stride 2 SAME_UPPER on an even size, a strided kernel larger than the stride, 1x1
    const corners: [string, ConvGeometry, number][] = [
      ['3x3 stride 2 SAME_UPPER on 6x6', { spatial: [6, 6], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [], autoPad: 'SAME_UPPER' }, 1],
      ['3x3 stride 2 SAME_LOWER on 7x5', { spatial: [7, 5], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [], autoPad: 'SAME_LOWER' }, 1],
      ['2x2 stride 3 pads [0,1,2,0] on 8x7', { spatial: [8, 7], kernel: [2, 2], strides: [3, 3], dilations: [1, 1], pads: [0, 1, 2, 0], autoPad: 'NOTSET' }, 1],
      ['3x2 dilation 2 stride 2 on 7x7', { spatial: [7, 7], kernel: [3, 2], strides: [2, 2], dilations: [2, 2], pads: [1, 0, 1, 1], autoPad: 'NOTSET' }, 1],
      ['1x1 stride 2 on 5x5, group 2', { spatial: [5, 5], kernel: [1, 1], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET' }, 2],
      ['3x3 SAME_UPPER dilation 2, depthwise', { spatial: [5, 6], kernel: [3, 3], strides: [1, 1], dilations: [2, 2], pads: [], autoPad: 'SAME_UPPER' }, 4],
    ];
    for (const [label, g, group] of corners) {
      const cin = group === 1 ? 3 : group;
      const cout = group === 1 ? 2 : group * 2;
      const wDims = [cout, cin / group, ...g.kernel];
      const w = rng.floats(wDims.reduce((a, b) => a * b, 1));
      cases.push({
        name: `Conv ${label}`,
        inputShape: [2, cin, ...g.spatial],
        nodes: [node('Conv', ['x', 'W'], 'y', {
          strides: A.ints(g.strides), dilations: A.ints(g.dilations), group: A.int(group),
          ...(g.autoPad === 'NOTSET' ? { pads: A.ints(g.pads) } : { auto_pad: A.string(g.autoPad) }),
        })],
        initializers: { W: floats(wDims, w) },
        oracle: (x) => referenceConv(x, w, wDims, g, group),
      });
    }
    expect(await checkOps(cases, 61)).toEqual([]);
  });
});
