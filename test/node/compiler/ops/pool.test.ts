/**
 * Gradients of MaxPool, AveragePool and GlobalAveragePool (functions/compiler/ops/pool.ts) against tf.grad:
 * 1-D and 2-D windows, overlapping windows (3x3 stride 2), strides 1-3, explicit and auto pads, ceil_mode,
 * count_include_pad, dilations for MaxPool.
 *
 * The reference builds each window tap with tf.gather on the padded input (-1e9 padding for max, 0 for the
 * average) and reduces over the taps, so it follows the ONNX/onnxruntime geometry directly: in ceil mode the
 * last window must start inside the input or its begin padding; the average divides by the number of taps
 * inside the input (count_include_pad=0) or inside input + explicit pads (count_include_pad=1).
 * Inputs are distinct values so that every window has a unique maximum.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A, type Attr } from '../../../../functions/onnx/model.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { compileOpGraph, node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface PoolGeometry {
  spatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  autoPad: AutoPad;
  ceil: boolean;
}

const extent = (k: number, d: number) => (k - 1) * d + 1;

/** Explicit pads and output sizes of a pooling geometry (ONNX spec; ceil mode as onnxruntime and PyTorch). */
function layout(g: PoolGeometry): { pads: number[]; out: number[] } {
  const r = g.spatial.length;
  const pads = g.autoPad === 'NOTSET' ? [...g.pads] : Array<number>(2 * r).fill(0);
  const out: number[] = [];
  g.spatial.forEach((size, i) => {
    const s = g.strides[i]!;
    const e = extent(g.kernel[i]!, g.dilations[i]!);
    if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
      const o = Math.ceil(size / s);
      const total = Math.max(0, (o - 1) * s + e - size);
      pads[i] = g.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pads[i + r] = total - pads[i]!;
      out.push(o);
      return;
    }
    const span = size + pads[i]! + pads[i + r]! - e;
    let o = (g.ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (g.ceil && (o - 1) * s >= size + pads[i]!) o--;
    out.push(o);
  });
  return { pads, out };
}

/**
 * Window taps of x [N, C, ...spatial] padded with `value`: one [N, C, ...out] tensor per kernel offset, window
 * o starting at o * stride - pad_begin. `at` overrides the layout (pads and output sizes).
 */
function taps(x: tf.Tensor, g: PoolGeometry, value: number, at = layout(g)): tf.Tensor[] {
  const sizes = x.shape.slice(2);
  const r = sizes.length;
  const { pads, out } = at;
  // pad the ends far enough for every window (ceil mode may run past the end padding)
  const ends = sizes.map((size, i) => Math.max(pads[i + r]!, (out[i]! - 1) * g.strides[i]! + extent(g.kernel[i]!, g.dilations[i]!) - size - pads[i]!));
  const padded = tf.pad(x, [[0, 0], [0, 0], ...sizes.map((_, i) => [pads[i]!, ends[i]!] as [number, number])], value);
  const result: tf.Tensor[] = [];
  const offsets = g.kernel.reduce<number[][]>((acc, k) => acc.flatMap((o) => Array.from({ length: k }, (_, t) => [...o, t])), [[]]);
  for (const off of offsets) {
    let t = padded;
    off.forEach((k, i) => {
      const idx = Array.from({ length: out[i]! }, (_, o) => o * g.strides[i]! + k * g.dilations[i]!);
      t = tf.gather(t, tf.tensor1d(idx, 'int32'), 2 + i);
    });
    result.push(t);
  }
  return result;
}

function referenceMax(x: tf.Tensor, g: PoolGeometry): tf.Tensor {
  return tf.max(tf.stack(taps(x, g, -1e9)), 0);
}

/**
 * The sum of each window over its divisor: the number of taps inside the input (count_include_pad=0), or
 * inside the input and its explicit pads (count_include_pad=1: ones over input + pads, zeros past them, pooled
 * on the same grid).
 */
function referenceAverage(x: tf.Tensor, g: PoolGeometry, includePad: boolean): tf.Tensor {
  const sum = tf.addN(taps(x, g, 0));
  const r = g.spatial.length;
  const { pads, out } = layout(g);
  const ones = tf.ones([1, 1, ...g.spatial]);
  const count = includePad
    ? tf.addN(taps(tf.pad(ones, [[0, 0], [0, 0], ...g.spatial.map((_, i) => [pads[i]!, pads[i + r]!] as [number, number])], 1), g, 0, { pads: Array<number>(2 * r).fill(0), out }))
    : tf.addN(taps(ones, g, 0));
  return tf.div(sum, count);
}

function poolAttrs(g: PoolGeometry, extra: Record<string, Attr> = {}, withDilations = false): Record<string, Attr> {
  return {
    kernel_shape: A.ints(g.kernel),
    strides: A.ints(g.strides),
    ...(withDilations ? { dilations: A.ints(g.dilations) } : {}),
    ...(g.autoPad === 'NOTSET' ? { pads: A.ints(g.pads) } : { auto_pad: A.string(g.autoPad) }),
    ...(g.ceil ? { ceil_mode: A.int(1) } : {}),
    ...extra,
  };
}

function randomGeometry(rng: Rng, dims: number, dilate: boolean): PoolGeometry {
  for (;;) {
    const kernel = Array.from({ length: dims }, () => rng.int(1, 3));
    const g: PoolGeometry = {
      spatial: Array.from({ length: dims }, () => rng.int(3, 8)),
      kernel,
      strides: Array.from({ length: dims }, () => rng.int(1, 3)),
      dilations: Array.from({ length: dims }, () => (dilate ? rng.int(1, 2) : 1)),
      // pads smaller than the kernel (onnxruntime requires it)
      pads: [...kernel, ...kernel].map((k) => rng.int(0, k - 1)),
      autoPad: rng.pick<AutoPad>(['NOTSET', 'NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']),
      ceil: rng.next() < 0.4,
    };
    if (g.autoPad !== 'NOTSET') g.ceil = false;
    if (layout(g).out.every((o) => o >= 1)) return g;
  }
}

const describeGeometry = (g: PoolGeometry) =>
  `k=[${g.kernel}] s=[${g.strides}]${g.dilations.some((d) => d > 1) ? ` d=[${g.dilations}]` : ''} ${g.autoPad === 'NOTSET' ? `pads=[${g.pads}]` : g.autoPad}${g.ceil ? ' ceil' : ''}`;

const distinct: OpCase['x'] = (r, n) => r.distinct(n);

/** Fixed geometries worth naming: overlapping 3x3 stride 2 windows, ceil mode that adds a partial window. */
const CORNERS: PoolGeometry[] = [
  { spatial: [7, 7], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceil: false },
  { spatial: [6, 6], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 1, 1, 1], autoPad: 'NOTSET', ceil: false },
  { spatial: [6, 6], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceil: true },
  { spatial: [8, 5], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [1, 0, 0, 1], autoPad: 'NOTSET', ceil: true },
  { spatial: [6, 7], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [], autoPad: 'SAME_UPPER', ceil: false },
  { spatial: [6, 7], kernel: [3, 3], strides: [2, 2], dilations: [1, 1], pads: [], autoPad: 'SAME_LOWER', ceil: false },
  { spatial: [5, 5], kernel: [2, 2], strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceil: true },
];

describe('MaxPool', () => {
  it('matches tf.grad over random geometries (distinct inputs, no ties)', async () => {
    const rng = new Rng(71);
    const cases: OpCase[] = [];
    const geometries = [...CORNERS, ...Array.from({ length: 24 }, (_, t) => randomGeometry(rng, t % 4 === 3 ? 1 : 2, true))];
    for (const g of geometries) {
      const inputShape = [rng.int(1, 2), rng.int(1, 3), ...g.spatial];
      const withDilations = g.dilations.some((d) => d > 1) || rng.next() < 0.3;
      cases.push({
        name: `MaxPool x[${inputShape}] ${describeGeometry(g)}`,
        inputShape,
        nodes: [node('MaxPool', ['x'], 'y', poolAttrs(g, {}, withDilations))],
        oracle: (x) => referenceMax(x, g),
        x: distinct,
      });
    }
    cases.push({
      name: 'MaxPool opset 7 (no indices output in the model)',
      opset: 7,
      inputShape: [2, 2, 5, 5],
      nodes: [node('MaxPool', ['x'], 'y', { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]) })],
      oracle: (x) => referenceMax(x, { ...CORNERS[0]!, spatial: [5, 5] }),
      x: distinct,
    });
    cases.push({
      name: 'MaxPool with its Indices output listed (unused)',
      inputShape: [2, 2, 5, 5],
      nodes: [node('MaxPool', ['x'], ['y', 'idx'], { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]) })],
      oracle: (x) => referenceMax(x, { ...CORNERS[0]!, spatial: [5, 5] }),
      x: distinct,
    });
    expect(await checkOps(cases, 71)).toEqual([]);
  });
});

describe('Relu then MaxPool (the ReLU mask moved after the pool, functions/compiler/rewrite.ts)', () => {
  const g = (spatial: number[], kernel: number[], strides: number[]): PoolGeometry =>
    ({ spatial, kernel, strides, dilations: [1, 1], pads: [0, 0, 0, 0], autoPad: 'NOTSET', ceil: false });
  const geometries = [g([6, 6], [2, 2], [2, 2]), g([7, 7], [3, 3], [2, 2]), g([5, 6], [2, 3], [1, 2])];
  const cases = (): OpCase[] => geometries.map((geo) => ({
    name: `Relu -> MaxPool x[2,3,${geo.spatial}] k=[${geo.kernel}] s=[${geo.strides}]`,
    inputShape: [2, 3, ...geo.spatial],
    nodes: [node('Relu', ['x'], 'r'), node('MaxPool', ['r'], 'y', poolAttrs(geo, {}, false))],
    oracle: (x) => referenceMax(tf.relu(x), geo),
    // distinct values of both signs: windows with a positive maximum, and all-negative windows (no gradient)
    x: distinct,
  }));

  it('matches tf.grad of the original order', async () => {
    expect(await checkOps(cases(), 73)).toEqual([]);
  });

  it('masks the pooled tensor instead of the full one, and leaves the graph when the ReLU output is used elsewhere', () => {
    const ops = (c: OpCase) => compileOpGraph(c).model.graph.nodes.map((n) => n.opType);
    const forward = (c: OpCase) => ops(c).filter((t) => t === 'Relu' || t === 'MaxPool');
    expect(forward(cases()[0]!)).toEqual(['Relu', 'MaxPool', 'Relu']);
    // one mask in the backward pass: a Greater on the pooled output
    expect(ops(cases()[0]!).filter((t) => t === 'Greater')).toHaveLength(1);
    const shared: OpCase = {
      ...cases()[0]!,
      nodes: [node('Relu', ['x'], 'r'), node('MaxPool', ['r'], 'p', poolAttrs(geometries[0]!, {}, false)), node('GlobalAveragePool', ['r'], 'm'), node('Add', ['p', 'm'], 'y')],
    };
    expect(forward(shared)).toEqual(['Relu', 'MaxPool']);
  });
});

describe('AveragePool', () => {
  it('matches tf.grad over random geometries, ceil_mode and count_include_pad', async () => {
    const rng = new Rng(72);
    const cases: OpCase[] = [];
    const geometries = [...CORNERS, ...Array.from({ length: 24 }, (_, t) => randomGeometry(rng, t % 4 === 3 ? 1 : 2, false))];
    for (const g of geometries) {
      for (const includePad of [0, 1]) {
        const inputShape = [rng.int(1, 2), rng.int(1, 3), ...g.spatial];
        cases.push({
          name: `AveragePool x[${inputShape}] ${describeGeometry(g)} count_include_pad=${includePad}`,
          inputShape,
          nodes: [node('AveragePool', ['x'], 'y', poolAttrs(g, includePad ? { count_include_pad: A.int(1) } : {}))],
          oracle: (x) => referenceAverage(x, g, includePad === 1),
        });
      }
    }
    cases.push({
      name: 'AveragePool opset 19 with dilations=[1, 1]',
      opset: 19,
      inputShape: [2, 2, 6, 6],
      nodes: [node('AveragePool', ['x'], 'y', { ...poolAttrs(CORNERS[2]!), dilations: A.ints([1, 1]) })],
      oracle: (x) => referenceAverage(x, CORNERS[2]!, false),
    });
    expect(await checkOps(cases, 72)).toEqual([]);
  });
});

describe('GlobalAveragePool', () => {
  it('matches tf.grad on 1-D, 2-D and 3-D inputs', async () => {
    const cases: OpCase[] = [[2, 3, 5], [2, 3, 4, 5], [1, 2, 3, 2, 2], [3, 4, 1, 1]].map((inputShape) => ({
      name: `GlobalAveragePool x[${inputShape}]`,
      inputShape,
      nodes: [node('GlobalAveragePool', ['x'])],
      oracle: (x: tf.Tensor) => tf.mean(x, inputShape.slice(2).map((_, i) => i + 2), true),
    }));
    expect(await checkOps(cases, 73)).toEqual([]);
  });
});
