/**
 * Gradients of the layout ops (functions/compiler/ops/shape.ts) against tf.grad: Reshape, Flatten, Transpose,
 * Squeeze, Unsqueeze, Concat, Slice, Pad (constant mode) and Expand, over random shapes and attributes.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { A } from '../../../../functions/onnx/model.js';
import { floats, int64s } from '../../../../functions/onnx/tensor.js';
import { checkOps, type OpCase } from '../../helpers/check-op.js';
import { node } from '../../helpers/op-graph.js';
import { Rng } from '../../helpers/random.js';

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
const randomShape = (rng: Rng, rank: number) => [rng.int(1, 3), ...Array.from({ length: rank - 1 }, () => rng.int(1, 4))];

describe('Reshape and Flatten', () => {
  it('match tf.grad', async () => {
    const rng = new Rng(31);
    const cases: OpCase[] = [];
    for (let t = 0; t < 6; t++) {
      const s = randomShape(rng, rng.int(2, 4));
      const rest = s.slice(1);
      const targets = [[0, -1], [-1, prod(rest)], [0, ...rest.slice().reverse()], [0, 1, ...rest, 1], [-1, ...rest.slice(0, -1), 1, rest[rest.length - 1]!]];
      for (const target of targets) {
        cases.push({
          name: `Reshape x[${s}] to [${target}]`,
          inputShape: s,
          nodes: [node('Reshape', ['x', 'shape'])],
          initializers: { shape: int64s(target) },
          oracle: (x) => tf.reshape(x, target.map((d, i) => (d === 0 ? s[i]! : d))),
        });
      }
      for (let axis = -s.length + 1; axis <= s.length; axis++) {
        if (axis === 0) continue;
        const k = axis < 0 ? axis + s.length : axis;
        // past axis 1 the batch is folded into the rows: reshape back to [N, -1] (the rows' gradient layout is
        // what is checked)
        cases.push({
          name: `Flatten(axis=${axis}) x[${s}]`,
          inputShape: s,
          nodes: k === 1
            ? [node('Flatten', ['x'], 'y', { axis: A.int(axis) })]
            : [node('Flatten', ['x'], 'f', { axis: A.int(axis) }), node('Relu', ['f'], 'r'), node('Reshape', ['r', 'back'])],
          initializers: { back: int64s([-1, prod(rest)]) },
          oracle: (x) => {
            const f = tf.reshape(x, [prod(s.slice(0, k)), prod(s.slice(k))]);
            return k === 1 ? f : tf.reshape(tf.relu(f), [s[0]!, -1]);
          },
        });
      }
    }
    cases.push({
      name: 'Flatten(axis=0) then Reshape back to batch-first',
      inputShape: [2, 3, 2],
      nodes: [node('Flatten', ['x'], 'f', { axis: A.int(0) }), node('Reshape', ['f', 'shape'])],
      initializers: { shape: int64s([2, -1]) },
      fixedBatch: true,
      oracle: (x) => tf.reshape(x, [2, 6]),
    });
    cases.push({
      name: 'Reshape opset 7 with a shape input',
      opset: 7,
      inputShape: [2, 3, 4],
      nodes: [node('Reshape', ['x', 'shape'])],
      initializers: { shape: int64s([0, 4, 3]) },
      oracle: (x) => tf.reshape(x, [2, 4, 3]),
    });
    // the run-time shape arithmetic exporters emit: Shape -> Gather -> Unsqueeze -> Concat -> Reshape
    cases.push({
      name: 'Reshape with a computed shape (Shape, Gather, Unsqueeze, Concat)',
      inputShape: [3, 2, 2, 3],
      nodes: [
        node('Shape', ['x'], 'sh'),
        node('Gather', ['sh', 'zero'], 'n', { axis: A.int(0) }),
        node('Unsqueeze', ['n', 'axes0'], 'n1'),
        node('Concat', ['n1', 'minus1'], 'target', { axis: A.int(0) }),
        node('Reshape', ['x', 'target']),
      ],
      initializers: { zero: int64s([0], []), axes0: int64s([0]), minus1: int64s([-1]) },
      oracle: (x) => tf.reshape(x, [3, 12]),
    });
    expect(await checkOps(cases, 31)).toEqual([]);
  });
});

describe('Transpose', () => {
  it('matches tf.grad for random permutations', async () => {
    const rng = new Rng(32);
    const cases: OpCase[] = [];
    for (let t = 0; t < 10; t++) {
      const rank = rng.int(2, 5);
      const s = randomShape(rng, rank);
      // keep the batch axis first; shuffle the rest
      const rest = [...Array(rank - 1).keys()].map((i) => i + 1);
      for (let i = rest.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [rest[i], rest[j]] = [rest[j]!, rest[i]!];
      }
      const perm = [0, ...rest];
      cases.push({
        name: `Transpose(perm=[${perm}]) x[${s}]`,
        inputShape: s,
        nodes: [node('Transpose', ['x'], 'y', { perm: A.ints(perm) })],
        oracle: (x) => tf.transpose(x, perm),
      });
    }
    // no perm: reverse the axes (the batch ends last), then bring the batch axis back to the front
    cases.push({
      name: 'Transpose() (reversed axes) then Transpose(perm=[3, 0, 1, 2])',
      inputShape: [2, 3, 1, 4],
      nodes: [node('Transpose', ['x'], 't'), node('Transpose', ['t'], 'y', { perm: A.ints([3, 0, 1, 2]) })],
      oracle: (x) => tf.transpose(tf.transpose(x), [3, 0, 1, 2]),
    });
    expect(await checkOps(cases, 32)).toEqual([]);
  });
});

describe('Squeeze and Unsqueeze', () => {
  it('match tf.grad with axes as inputs (opset 13+) and as attributes (opset 11)', async () => {
    const cases: OpCase[] = [];
    const squeezes: [number[], number[] | undefined][] = [[[2, 1, 3, 1], [1]], [[2, 1, 3, 1], [3]], [[2, 1, 3, 1], [1, 3]], [[2, 1, 3, 1], [-1, 1]], [[3, 4, 1], [-1]], [[2, 1, 3, 1], undefined]];
    for (const [s, axes] of squeezes) {
      for (const opset of [11, 13, 17]) {
        const asInput = opset >= 13 && axes !== undefined;
        const norm = axes?.map((a) => (a < 0 ? a + s.length : a));
        cases.push({
          name: `Squeeze(axes=${axes ? `[${axes}]` : 'none'}) x[${s}] opset ${opset}`,
          inputShape: s,
          opset,
          fixedBatch: axes === undefined,
          nodes: [node('Squeeze', asInput ? ['x', 'axes'] : ['x'], 'y', !asInput && axes ? { axes: A.ints(axes) } : {})],
          initializers: asInput ? { axes: int64s(axes) } : {},
          oracle: (x) => tf.reshape(x, s.filter((d, i) => (norm ? !norm.includes(i) : d !== 1))),
        });
      }
    }
    const unsqueezes: [number[], number[]][] = [[[2, 3], [1]], [[2, 3], [-1]], [[2, 3], [1, 3]], [[2, 3, 2], [3, 1]], [[3, 2], [-1, 1]], [[2, 1, 2], [2]]];
    for (const [s, axes] of unsqueezes) {
      for (const opset of [7, 11, 13, 20]) {
        const rank = s.length + axes.length;
        const norm = axes.map((a) => (a < 0 ? a + rank : a));
        const out: number[] = [];
        let k = 0;
        for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : s[k++]!);
        // opset 7-10 Unsqueeze takes only non-negative axes
        const given = opset < 11 ? norm : axes;
        cases.push({
          name: `Unsqueeze(axes=[${given}]) x[${s}] opset ${opset}`,
          inputShape: s,
          opset,
          nodes: [node('Unsqueeze', opset >= 13 ? ['x', 'axes'] : ['x'], 'y', opset >= 13 ? {} : { axes: A.ints(given) })],
          initializers: opset >= 13 ? { axes: int64s(given) } : {},
          oracle: (x) => tf.reshape(x, out),
        });
      }
    }
    expect(await checkOps(cases, 33)).toEqual([]);
  });
});

describe('Concat', () => {
  it('matches tf.grad when the input appears once, twice, or with constants', async () => {
    const rng = new Rng(34);
    const cases: OpCase[] = [];
    for (let t = 0; t < 6; t++) {
      const rank = rng.int(2, 4);
      const s = randomShape(rng, rank);
      const axis = rng.pick([...Array(rank - 1).keys()].map((i) => i + 1).flatMap((a) => [a, a - rank]));
      const a = axis < 0 ? axis + rank : axis;
      const cShape = s.map((d, i) => (i === a ? rng.int(1, 3) : d));
      cases.push({
        name: `Concat(x, c, x, axis=${axis}) x[${s}] c[${cShape}]`,
        inputShape: s,
        fixedBatch: true,
        nodes: [node('Concat', ['x', 'c', 'x'], 'y', { axis: A.int(axis) })],
        initializers: { c: floats(cShape, rng.floats(prod(cShape))) },
        oracle: (x, p) => tf.concat([x, p.c!, x], a),
      });
      cases.push({
        name: `Concat(c, relu(x), axis=${axis}) x[${s}]`,
        inputShape: s,
        fixedBatch: true,
        nodes: [node('Relu', ['x'], 'r'), node('Concat', ['c', 'r'], 'y', { axis: A.int(axis) })],
        initializers: { c: floats(cShape, rng.floats(prod(cShape))) },
        oracle: (x, p) => tf.concat([p.c!, tf.relu(x)], a),
      });
    }
    cases.push({
      name: 'Concat(x, x) along a symbolic-batch tensor',
      inputShape: [3, 2, 2],
      nodes: [node('Concat', ['x', 'x'], 'y', { axis: A.int(2) })],
      oracle: (x) => tf.concat([x, x], 2),
    });
    expect(await checkOps(cases, 34)).toEqual([]);
  });
});

describe('Slice', () => {
  it('matches tf.grad for random starts/ends/axes with unit steps, inputs (opset 10+) and attributes (opset 9)', async () => {
    const rng = new Rng(35);
    const cases: OpCase[] = [];
    for (let t = 0; t < 12; t++) {
      const rank = rng.int(2, 4);
      const s = randomShape(rng, rank).map((d, i) => (i === 0 ? d : d + 2));
      const axes = [...Array(rank - 1).keys()].map((i) => i + 1).filter(() => rng.next() < 0.7);
      if (axes.length === 0) axes.push(rank - 1);
      const starts = axes.map((a) => rng.pick([0, 1, -1, -2, -100, s[a]! - 1]));
      const ends = axes.map((a) => rng.pick([s[a]!, -1, 1000, 2 ** 31 - 1, s[a]! - 1, -s[a]! + 1]));
      // keep every slice non-empty
      const ok = axes.every((a, k) => {
        const d = s[a]!;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        return clamp(ends[k]!) > clamp(starts[k]!);
      });
      if (!ok) { t--; continue; }
      const negAxes = axes.map((a) => (rng.next() < 0.5 ? a - rank : a));
      // ONNX Slice: negative indices count from the end, then clamp to [0, dim]
      const begin = s.map(() => 0);
      const size = [...s];
      axes.forEach((a, k) => {
        const d = s[a]!;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
        begin[a] = clamp(starts[k]!);
        size[a] = clamp(ends[k]!) - begin[a]!;
      });
      const oracle = (x: tf.Tensor) => tf.slice(x, begin, size);
      const withSteps = rng.next() < 0.5;
      cases.push({
        name: `Slice x[${s}] starts=[${starts}] ends=[${ends}] axes=[${negAxes}]${withSteps ? ' steps=1' : ''}`,
        inputShape: s,
        nodes: [node('Slice', ['x', 'starts', 'ends', 'axes', ...(withSteps ? ['steps'] : [])])],
        initializers: { starts: int64s(starts), ends: int64s(ends), axes: int64s(negAxes), steps: int64s(axes.map(() => 1)) },
        oracle,
      });
      cases.push({
        name: `Slice opset 9 x[${s}] starts=[${starts}] ends=[${ends}] axes=[${axes}]`,
        inputShape: s,
        opset: 9,
        nodes: [node('Slice', ['x'], 'y', { starts: A.ints(starts), ends: A.ints(ends), axes: A.ints(axes) })],
        oracle,
      });
    }
    cases.push({
      name: 'Slice without axes (all leading axes, batch included)',
      inputShape: [2, 4, 5],
      fixedBatch: true,
      nodes: [node('Slice', ['x', 'starts', 'ends'])],
      initializers: { starts: int64s([0, 1, -3]), ends: int64s([2, 3, 1000]) },
      oracle: (x) => tf.slice(x, [0, 1, 2], [2, 2, 3]),
    });
    cases.push({
      name: 'Slice(x) + x, a slice that is padded back and summed with the input',
      inputShape: [2, 6],
      nodes: [node('Slice', ['x', 'starts', 'ends', 'axes'], 's'), node('Concat', ['s', 's'], 'ss', { axis: A.int(1) }), node('Add', ['ss', 'x'])],
      initializers: { starts: int64s([3]), ends: int64s([6]), axes: int64s([1]) },
      oracle: (x) => {
        const s = tf.slice(x, [0, 3], [-1, 3]);
        return tf.add(tf.concat([s, s], 1), x);
      },
    });
    // exporters compute slice bounds from the input's shape: Shape -> Gather -> Unsqueeze -> Slice
    cases.push({
      name: 'Slice with ends computed from Shape(x) (x[:, :, 1:H-1])',
      inputShape: [2, 3, 6],
      nodes: [
        node('Shape', ['x'], 'sh'),
        node('Gather', ['sh', 'two'], 'h', { axis: A.int(0) }),
        node('Sub', ['h', 'one'], 'h1'),
        node('Unsqueeze', ['h1', 'axes0'], 'ends'),
        node('Slice', ['x', 'starts', 'ends', 'axes']),
      ],
      initializers: { two: int64s([2], []), one: int64s([1], []), axes0: int64s([0]), starts: int64s([1]), axes: int64s([2]) },
      oracle: (x) => tf.slice(x, [0, 0, 1], [-1, -1, 4]),
    });
    expect(await checkOps(cases, 35)).toEqual([]);
  });
});

describe('Pad (constant mode)', () => {
  it('matches tf.grad for random, asymmetric pads with inputs (opset 11+) and attributes (opset 2-10)', async () => {
    const rng = new Rng(36);
    const cases: OpCase[] = [];
    for (let t = 0; t < 8; t++) {
      const rank = rng.int(2, 4);
      const s = randomShape(rng, rank);
      const pads = [...Array(2 * rank).keys()].map((i) => (i % rank === 0 ? 0 : rng.int(0, 2)));
      const value = rng.pick([0, 0.5, -1.25]);
      const paddings = s.map((_, i) => [pads[i]!, pads[i + rank]!] as [number, number]);
      const oracle = (x: tf.Tensor) => tf.pad(x, paddings, value);
      for (const opset of [7, 11, 13, 17]) {
        const legacy = opset < 11;
        cases.push({
          name: `Pad x[${s}] pads=[${pads}] value=${value} opset ${opset}`,
          inputShape: s,
          opset,
          nodes: [legacy
            ? node('Pad', ['x'], 'y', { pads: A.ints(pads), value: A.float(value), mode: A.string('constant') })
            : node('Pad', value === 0 && opset === 13 ? ['x', 'pads'] : ['x', 'pads', 'value'], 'y', { mode: A.string('constant') })],
          initializers: legacy ? {} : { pads: int64s(pads), value: floats([], [value]) },
          oracle,
        });
      }
    }
    expect(await checkOps(cases, 36)).toEqual([]);
  });
});

describe('Expand', () => {
  it('matches tf.grad when broadcasting the input', async () => {
    const cases: OpCase[] = [];
    const expands: [number[], number[], number[]][] = [
      // [input, shape operand, result]
      [[2, 1, 3], [1, 4, 3], [2, 4, 3]],
      [[2, 3, 1], [3, 5], [2, 3, 5]],
      [[3, 1], [1, 1, 2], [3, 1, 2].slice(0, 0).concat([1, 3, 2])],
      [[2, 4], [1, 4], [2, 4]],
    ];
    for (const [s, shape, out] of expands) {
      cases.push({
        name: `Expand x[${s}] to [${shape}]`,
        inputShape: s,
        fixedBatch: out.length > s.length,
        nodes: out.length > s.length
          ? [node('Expand', ['x', 'shape'], 'e'), node('Transpose', ['e'], 'y', { perm: A.ints([1, 0, 2]) })]
          : [node('Expand', ['x', 'shape'])],
        initializers: { shape: int64s(shape) },
        oracle: (x) => (out.length > s.length ? tf.transpose(tf.broadcastTo(x, out), [1, 0, 2]) : tf.broadcastTo(x, out)),
      });
    }
    expect(await checkOps(cases, 37)).toEqual([]);
  });
});
