/**
 * What the compiler refuses, and how: an unsupported op or an attribute value a rule does not implement must
 * give a CompileError naming the op type and the node, never a program that computes a wrong gradient.
 */
import { describe, expect, it } from 'vitest';
import { compileGradient, CompileError, ModelError } from '../../../../functions/compiler/index.js';
import { A, type OnnxNode } from '../../../../functions/onnx/model.js';
import { floats, int64s, tensor } from '../../../../functions/onnx/tensor.js';
import { node, opModel, type OpGraph } from '../../helpers/op-graph.js';

function compileError(g: OpGraph): CompileError {
  try {
    compileGradient(opModel(g));
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('the model compiled');
}

describe('unsupported ops', () => {
  const cases: [string, OnnxNode, Partial<OpGraph>][] = [
    ['Resize', node('Resize', ['x', '', 'scales'], 'y', { mode: A.string('nearest') }, 'upsample_1'), { initializers: { scales: floats([4], [1, 1, 2, 2]) } }],
    ['Erf', node('Erf', ['x'], 'y', {}, 'gelu_erf'), {}],
    ['com.example::FancyActivation', { ...node('FancyActivation', ['x'], 'y', {}, 'custom_7'), domain: 'com.example' }, {}],
  ];
  for (const [opType, n, extra] of cases) {
    it(`${opType} gives a CompileError naming the op and the node`, () => {
      const e = compileError({ inputShape: [1, 2, 3, 3], nodes: [n], ...extra });
      expect(e.message).toContain(opType);
      expect(e.message).toContain(`"${n.name}"`);
      expect(e.problems).toEqual([expect.objectContaining({ node: n.name, opType, reason: 'unsupported op' })]);
    });
  }

  it('lists every unsupported node of a graph in one error', () => {
    const e = compileError({
      inputShape: [1, 4],
      nodes: [node('Erf', ['x'], 'a', {}, 'erf_a'), node('Relu', ['a'], 'b', {}, 'relu_b'), node('Erf', ['b'], 'c', {}, 'erf_c'), node('Mish', ['c'], 'y', {}, 'mish_d')],
    });
    expect(e.problems.map((p) => p.node)).toEqual(['erf_a', 'erf_c', 'mish_d']);
    expect(e.message).toMatch(/Erf \(nodes "erf_a", "erf_c"\).*Mish \(node "mish_d"\)/);
  });

  it('refuses opsets below 7 and above 23 with a ModelError naming the range it reads', () => {
    for (const opset of [6, 24]) {
      expect(() => compileGradient(opModel({ inputShape: [1, 4], opset, nodes: [node('Relu', ['x'])] })))
        .toThrow(new ModelError(`the model uses ai.onnx opset ${opset}; Ascent reads opsets 7 to 23 (re-export with a supported opset)`));
    }
  });
});

describe('ops whose gradient is not implemented for some attribute values', () => {
  it('Slice with step 2 on the differentiated path', () => {
    const e = compileError({
      inputShape: [2, 6],
      nodes: [node('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], 'y', {}, 'strided_slice')],
      initializers: { starts: int64s([0]), ends: int64s([6]), axes: int64s([1]), steps: int64s([2]) },
    });
    expect(e.message).toMatch(/node "strided_slice" \(Slice\): .*step 2/);
  });

  it('Slice with a negative step on the differentiated path', () => {
    const e = compileError({
      inputShape: [2, 6],
      nodes: [node('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], 'y', {}, 'reverse')],
      initializers: { starts: int64s([-1]), ends: int64s([-100]), axes: int64s([1]), steps: int64s([-1]) },
    });
    expect(e.message).toMatch(/node "reverse" \(Slice\): .*step -1/);
  });

  for (const mode of ['reflect', 'edge']) {
    it(`Pad in ${mode} mode on the differentiated path`, () => {
      const e = compileError({
        inputShape: [1, 2, 4, 4],
        nodes: [node('Pad', ['x', 'pads'], 'y', { mode: A.string(mode) }, `pad_${mode}`)],
        initializers: { pads: int64s([0, 0, 1, 1, 0, 0, 1, 1]) },
      });
      expect(e.message).toMatch(new RegExp(`node "pad_${mode}" \\(Pad\\): .*${mode} mode`));
    });
  }

  it('Pad in reflect mode at opset 2 (attributes) on the differentiated path', () => {
    const e = compileError({
      inputShape: [1, 2, 4, 4],
      opset: 7,
      nodes: [node('Pad', ['x'], 'y', { mode: A.string('reflect'), pads: A.ints([0, 0, 1, 1, 0, 0, 1, 1]) }, 'pad_v2')],
    });
    expect(e.message).toMatch(/node "pad_v2" \(Pad\): .*reflect mode/);
  });

  it('compiles the same ops when they only touch constants (off the differentiated path)', () => {
    const p = compileGradient(opModel({
      inputShape: [2, 3],
      nodes: [
        node('Slice', ['c', 'starts', 'ends', 'axes', 'steps'], 's'),
        node('Pad', ['s', 'pads'], 'p', { mode: A.string('reflect') }),
        node('Mul', ['x', 'p']),
      ],
      initializers: {
        c: floats([1, 6], [1, 2, 3, 4, 5, 6]), starts: int64s([0]), ends: int64s([6]), axes: int64s([1]), steps: int64s([3]),
        pads: int64s([0, 1, 0, 0]),
      },
    }));
    expect(p.units).toBe(3);
  });

  it('Dropout in training mode', () => {
    const e = compileError({
      inputShape: [2, 3],
      opset: 13,
      nodes: [node('Dropout', ['x', 'ratio', 'training'], 'y', {}, 'drop_train')],
      initializers: { ratio: floats([], [0.5]), training: tensor('bool', [], [1]) },
    });
    expect(e.message).toMatch(/node "drop_train" \(Dropout\): .*training mode/);
  });

  it('AveragePool with dilations (opset 19)', () => {
    const e = compileError({
      inputShape: [1, 1, 6, 6],
      opset: 19,
      nodes: [node('AveragePool', ['x'], 'y', { kernel_shape: A.ints([2, 2]), dilations: A.ints([2, 2]) }, 'avg_dilated')],
    });
    expect(e.message).toMatch(/node "avg_dilated" \(AveragePool\): .*dilations/);
  });

  it('MaxPool with column-major indices (storage_order=1)', () => {
    const e = compileError({
      inputShape: [1, 1, 4, 4],
      nodes: [node('MaxPool', ['x'], 'y', { kernel_shape: A.ints([2, 2]), storage_order: A.int(1) }, 'pool_cm')],
    });
    expect(e.message).toMatch(/node "pool_cm" \(MaxPool\): .*storage_order/);
  });
});
