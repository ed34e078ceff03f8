/**
 * Hostile ONNX files: named cases that each ask for too much in one way (memory, time, a zero divisor, a
 * malformed encoding), and fast-check arbitraries that generate many more. Shared by the Node property tests of
 * the reader and the compiler and by the workerd catalogue of hostile uploads.
 */
import fc from 'fast-check';
import { concatBytes } from '../../functions/encode/bytes.js';
import { onnx, type IAttributeProto, type IModelProto, type INodeProto, type ITensorProto } from '../../functions/onnx/proto.js';

export interface HostileFile {
  name: string;
  bytes: Uint8Array;
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const encode = (m: IModelProto) => onnx.ModelProto.encode(m).finish();
const vi = (name: string, dims: (number | string)[], elemType = 1) => ({
  name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** A model x[N, 28, 28] -> nodes -> "out", opset 17, with the given initializers. */
export function graphModel(nodes: INodeProto[], initializer: ITensorProto[] = [], inputDims: (number | string)[] = ['N', 28, 28], classes = 10): Uint8Array {
  return encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'hostile',
    graph: { name: 'g', node: nodes, initializer, input: [vi('x', inputDims)], output: [vi('out', ['N', classes])] },
  });
}

/**
 * A valid model of a few hundred bytes with `classes` classes: the pixels' sum times a constant row of ones made
 * at run time (ConstantOfShape), so every result lists `classes` probabilities and logits per image.
 */
export function manyClasses(classes: number): Uint8Array {
  return graphModel([
    { opType: 'Flatten', input: ['x'], output: ['flat'], name: 'flatten' },
    { opType: 'ReduceSum', input: ['flat', 'axes'], output: ['s'], name: 'sum', attribute: [int('keepdims', 1)] },
    { opType: 'ConstantOfShape', input: ['wide'], output: ['ones'], name: 'ones', attribute: [{ name: 'value', type: 4, t: { dataType: 1, dims: [1], rawData: f32([0.001]) } }] },
    { opType: 'Mul', input: ['s', 'ones'], output: ['out'], name: 'scores' },
  ], [i64('axes', [1]), i64('wide', [1, classes])], ['N', 28, 28], classes);
}

const i64 = (name: string, values: number[]): ITensorProto => ({ name, dataType: 7, dims: [values.length], int64Data: values });
const ints = (name: string, values: number[]): IAttributeProto => ({ name, type: 7, ints: values });
const int = (name: string, value: number): IAttributeProto => ({ name, type: 2, i: value });

/** x [N,28,28] -> Reshape [N,1,28,28] -> `op` -> Flatten -> Gemm to 10 classes (the Gemm weights sized to fit). */
function conv4(op: INodeProto, extra: ITensorProto[] = []): Uint8Array {
  return graphModel([
    { opType: 'Reshape', input: ['x', 'shape4'], output: ['x4'], name: 'reshape' },
    { ...op, input: ['x4', ...(op.input ?? []).slice(1)], output: ['y'] },
    { opType: 'Flatten', input: ['y'], output: ['flat'], name: 'flatten' },
    { opType: 'ReduceSum', input: ['flat', 'axes'], output: ['s'], name: 'sum', attribute: [int('keepdims', 1)] },
    { opType: 'Mul', input: ['s', 'ten'], output: ['out'], name: 'scores' },
  ], [i64('shape4', [-1, 1, 28, 28]), i64('axes', [1]), { name: 'ten', dataType: 1, dims: [1, 10], rawData: f32(Array(10).fill(1)) }, ...extra]);
}

let named: HostileFile[] | undefined;

/** The hostile files named in the hardening work, one per way of asking for too much. */
export function namedHostileFiles(): HostileFile[] {
  named ??= buildNamed();
  return named;
}

function buildNamed(): HostileFile[] {
  const w = { name: 'W', dataType: 1, dims: [4, 1, 3, 3], rawData: f32(Array(36).fill(0.1)) };
  const relus = chainOf(4997, 'Relu');
  return [
    { name: 'initializer [8192, 8192] without data', bytes: graphModel([{ opType: 'Relu', input: ['x'], output: ['out'] }], [{ name: 'w', dataType: 1, dims: [8192, 8192] }]) },
    { name: 'initializer [2^40] with raw data of 4 bytes', bytes: graphModel([{ opType: 'Relu', input: ['x'], output: ['out'] }], [{ name: 'w', dataType: 1, dims: [2 ** 40], rawData: f32([1]) }]) },
    { name: '500,000 empty nodes', bytes: emptyNodes(500_000) },
    { name: 'types nested 1,000 deep', bytes: nestedTypes(1_000) },
    { name: 'Conv with stride 0', bytes: conv4({ opType: 'Conv', name: 'conv', input: ['x4', 'W'], attribute: [ints('strides', [0, 0])] }, [w]) },
    { name: 'Conv with dilation 0', bytes: conv4({ opType: 'Conv', name: 'conv', input: ['x4', 'W'], attribute: [ints('dilations', [0, 0])] }, [w]) },
    { name: 'Conv with group 0', bytes: conv4({ opType: 'Conv', name: 'conv', input: ['x4', 'W'], attribute: [int('group', 0)] }, [w]) },
    { name: 'MaxPool with stride 0', bytes: conv4({ opType: 'MaxPool', name: 'pool', input: ['x4'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [0, 0])] }) },
    { name: 'AveragePool with a kernel of 10^6', bytes: conv4({ opType: 'AveragePool', name: 'pool', input: ['x4'], attribute: [ints('kernel_shape', [1_000_000, 1]), ints('pads', [999_999, 0, 999_999, 0])] }) },
    { name: 'Pad by 100,000 on each side', bytes: conv4({ opType: 'Pad', name: 'pad', input: ['x4', 'pads'] }, [i64('pads', [0, 0, 100_000, 100_000, 0, 0, 100_000, 100_000])]) },
    { name: 'ConstantOfShape [65536, 65536]', bytes: graphModel([
      { opType: 'ConstantOfShape', input: ['big'], output: ['c'], name: 'fill', attribute: [{ name: 'value', type: 4, t: { dataType: 1, dims: [1], rawData: f32([1]) } }] },
      { opType: 'ReduceSum', input: ['c', 'axes'], output: ['s'], name: 'sum', attribute: [int('keepdims', 0)] },
      { opType: 'Flatten', input: ['x'], output: ['flat'], name: 'flatten' },
      { opType: 'Add', input: ['flat', 's'], output: ['added'], name: 'add' },
      { opType: 'Gemm', input: ['added', 'W10'], output: ['out'], name: 'gemm' },
    ], [i64('big', [65536, 65536]), i64('axes', [0, 1]), { name: 'W10', dataType: 1, dims: [784, 10], rawData: f32(Array(7840).fill(0.01)) }]) },
    { name: 'Expand to [N, 65536, 28, 28]', bytes: conv4({ opType: 'Expand', name: 'expand', input: ['x4', 'shape'] }, [i64('shape', [1, 65536, 28, 28])]) },
    { name: 'Reshape with two -1', bytes: conv4({ opType: 'Reshape', name: 'reshape2', input: ['x4', 'bad'] }, [i64('bad', [-1, -1, 28])]) },
    { name: 'Transpose with a repeated axis', bytes: conv4({ opType: 'Transpose', name: 'transpose', input: ['x4'], attribute: [ints('perm', [0, 0, 1, 2])] }) },
    { name: 'LeakyRelu with alpha NaN', bytes: conv4({ opType: 'LeakyRelu', name: 'leaky', input: ['x4'], attribute: [{ name: 'alpha', type: 1, f: Number.NaN }] }) },
    { name: '4,997 chained Relu nodes', bytes: graphModel([...relus, { opType: 'Flatten', input: ['t4996'], output: ['flat'] }, { opType: 'Gemm', input: ['flat', 'W10'], output: ['out'] }], [{ name: 'W10', dataType: 1, dims: [784, 10], rawData: f32(Array(7840).fill(0.01)) }]) },
    { name: '998 chained Elu nodes', bytes: chainModel(998, 'Elu') },
    { name: 'a sub-graph in an attribute', bytes: graphModel([{ opType: 'If', input: ['x'], output: ['out'], attribute: [{ name: 'then_branch', type: 5, g: { name: 'b', node: [{ opType: 'Relu' }] } }] }]) },
    { name: 'a truncated file', bytes: graphModel([{ opType: 'Relu', input: ['x'], output: ['out'] }]).slice(0, 40) },
  ];
}

function chainOf(count: number, op: string): INodeProto[] {
  return Array.from({ length: count }, (_, i): INodeProto => ({ opType: op, input: [i ? `t${i - 1}` : 'x'], output: [`t${i}`], name: `r${i}` }));
}

/**
 * `count` element-wise ops in a chain on the image, then a dense layer to 10 classes: within the node limit, cheap
 * in FLOPs, and (for an op the kernel lacks, such as Elu) slow on onnxruntime in proportion to its nodes.
 */
export function chainModel(count: number, op: string): Uint8Array {
  return graphModel([...chainOf(count, op), { opType: 'Flatten', input: [`t${count - 1}`], output: ['flat'] }, { opType: 'Gemm', input: ['flat', 'W10'], output: ['out'] }],
    [{ name: 'W10', dataType: 1, dims: [784, 10], rawData: f32(Array(7840).fill(0.01)) }]);
}

/** A graph of `count` empty NodeProtos (two bytes each: field 1, length 0), written directly. */
function emptyNodes(count: number): Uint8Array {
  const graph = new Uint8Array(2 * count);
  for (let i = 0; i < count; i++) graph[2 * i] = 0x0a;
  return concatBytes(new Uint8Array([0x08, 0x08]), wrap(7, graph));
}

/** A value info whose type is a sequence of a sequence of ... `depth` deep (deep recursion in a decoder). */
function nestedTypes(depth: number): Uint8Array {
  // TypeProto.sequence_type (field 4) -> Sequence.elem_type (field 1) -> TypeProto ..., written inside out
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < depth; i++) {
    const seq = wrap(1, inner);
    inner = wrap(4, seq);
  }
  const valueInfo = concatBytes(wrap(1, new TextEncoder().encode('x')), wrap(2, inner));
  const graph = concatBytes(wrap(1, concatBytes(wrap(4, new TextEncoder().encode('Relu')))), wrap(11, valueInfo));
  return concatBytes(new Uint8Array([0x08, 0x08]), wrap(7, graph));
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function wrap(field: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes(new Uint8Array([...varint(field * 8 + 2), ...varint(body.length)]), body);
}


// ---- fast-check arbitraries ----

/** Numbers a hostile file puts in dims and int attributes: small, zero, negative, huge. */
export const hostileInt = fc.oneof(
  fc.integer({ min: -2, max: 40 }),
  fc.constantFrom(0, -1, 1 << 20, 2 ** 31 - 1, 2 ** 40, Number.MAX_SAFE_INTEGER, -(2 ** 40)),
);
const hostileFloat = fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(0, -0, 1e-45, 1e38, Number.NaN, Infinity, -Infinity));

const NAMES = ['x', 'a', 'b', 'c', 'w', 'shape', 'out'];
const OPS = ['Relu', 'Conv', 'MaxPool', 'AveragePool', 'Gemm', 'MatMul', 'Add', 'Mul', 'Div', 'Reshape', 'Flatten', 'Transpose',
  'Pad', 'Expand', 'ConstantOfShape', 'Slice', 'Concat', 'Gather', 'Squeeze', 'Unsqueeze', 'Softmax', 'BatchNormalization',
  'ReduceSum', 'ReduceMean', 'Shape', 'Cast', 'Clip', 'LeakyRelu', 'Constant', 'GlobalAveragePool', 'Identity', 'Tile', 'Where'];
const ATTRS = ['strides', 'pads', 'dilations', 'kernel_shape', 'group', 'axis', 'axes', 'perm', 'alpha', 'beta', 'transA', 'transB',
  'epsilon', 'keepdims', 'value', 'to', 'ceil_mode', 'auto_pad', 'shape'];

/** Mostly plausible sizes (so files get past the reader into the compiler), sometimes hostile ones. */
const arbDim = fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: hostileInt });

/** A tensor whose data matches its dims most of the time (raw or typed), and sometimes does not. */
export const arbTensor: fc.Arbitrary<ITensorProto> = fc.record({
  name: fc.constantFrom(...NAMES),
  dataType: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(1, 7) }, { weight: 1, arbitrary: fc.constantFrom(6, 11, 9, 2, 8, 16, 0, 99) }),
  dims: fc.array(arbDim, { maxLength: 4 }),
  how: fc.oneof({ weight: 12, arbitrary: fc.constantFrom('raw', 'typed') }, { weight: 1, arbitrary: fc.constantFrom('random', 'none') }),
  values: fc.array(fc.oneof(fc.integer({ min: -3, max: 30 }), hostileInt), { minLength: 1, maxLength: 4 }),
  random: fc.uint8Array({ maxLength: 64 }),
}).map(({ name, dataType, dims, how, values, random }): ITensorProto => {
  const n = dims.reduce((a, b) => a * Math.max(0, b), 1);
  if (how === 'none' || n > 4096) return { name, dataType, dims };
  if (how === 'random') return { name, dataType, dims, rawData: random };
  const data = Array.from({ length: n }, (_, i) => values[i % values.length]!);
  if (dataType === 7) return how === 'raw' ? { name, dataType, dims, rawData: new Uint8Array(BigInt64Array.from(data.map((v) => BigInt(Math.trunc(v)))).buffer) } : { name, dataType, dims, int64Data: data };
  return how === 'raw' ? { name, dataType, dims, rawData: f32(data) } : { name, dataType, dims, floatData: data };
});

const arbAttribute: fc.Arbitrary<IAttributeProto> = fc.oneof(
  fc.record({ name: fc.constantFrom(...ATTRS), type: fc.constant(2), i: hostileInt }),
  fc.record({ name: fc.constantFrom(...ATTRS), type: fc.constant(7), ints: fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -1, max: 4 }) }, { weight: 1, arbitrary: hostileInt }), { maxLength: 8 }) }),
  fc.record({ name: fc.constantFrom(...ATTRS), type: fc.constant(1), f: hostileFloat }),
  fc.record({ name: fc.constantFrom(...ATTRS), type: fc.constant(3), s: fc.constantFrom('SAME_UPPER', 'VALID', 'NOTSET', 'BOGUS').map((s) => new TextEncoder().encode(s)) }),
  fc.record({ name: fc.constantFrom(...ATTRS), type: fc.constant(4), t: arbTensor }),
);

export const arbNode: fc.Arbitrary<INodeProto> = fc.record({
  opType: fc.constantFrom(...OPS),
  input: fc.array(fc.constantFrom(...NAMES, ''), { minLength: 1, maxLength: 3 }),
  output: fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 2 }),
  attribute: fc.array(arbAttribute, { maxLength: 4 }),
});

const INPUTS: (number | string)[][] = [['N', 28, 28], ['N', 1, 28, 28], [1, 1, 28, 28], ['N', 784], [2, 3, 8, 8]];

/** A whole model: random nodes over a small name pool, random initializers, an image-like input. */
export const arbModel: fc.Arbitrary<IModelProto> = fc.record({
  nodes: fc.array(arbNode, { minLength: 1, maxLength: 8 }),
  initializer: fc.array(arbTensor, { maxLength: 4 }),
  inputDims: fc.oneof(fc.constantFrom<(number | string)[]>(...INPUTS), fc.array<number | string>(fc.oneof(hostileInt, fc.constant('N')), { maxLength: 5 })),
  opset: fc.constantFrom(7, 11, 13, 17, 23, 1, 99),
}).map(({ nodes, initializer, inputDims, opset }) => ({
  irVersion: 8,
  opsetImport: [{ domain: '', version: opset }],
  graph: {
    name: 'fuzz',
    node: nodes,
    initializer,
    input: [vi('x', inputDims.map((d) => (typeof d === 'number' ? Math.max(0, d) : d)))],
    output: [vi('out', ['N', 10])],
  },
}));

/**
 * A chain x -> op_1 -> t1 -> ... -> op_k -> out whose extra operands are initializers: every node is reached,
 * so the compiler's rules see hostile attributes and operands (the other arbitrary mostly fails on wiring).
 */
export const arbChainModel: fc.Arbitrary<IModelProto> = fc.record({
  input: fc.constantFrom<(number | string)[]>(...INPUTS),
  steps: fc.array(fc.record({
    opType: fc.constantFrom(...OPS),
    operands: fc.oneof(fc.constant<ITensorProto[]>([]), fc.array(arbTensor, { maxLength: 2 })),
    attribute: fc.oneof(fc.constant<IAttributeProto[]>([]), fc.array(arbAttribute, { maxLength: 3 })),
  }), { minLength: 1, maxLength: 5 }),
  opset: fc.constantFrom(11, 13, 17),
}).map(({ input, steps, opset }) => {
  const initializer: ITensorProto[] = [];
  const node: INodeProto[] = steps.map((s, i) => {
    const names = s.operands.map((t, j) => {
      const name = `p${i}_${j}`;
      initializer.push({ ...t, name });
      return name;
    });
    return { opType: s.opType, name: `n${i}`, input: [i ? `t${i - 1}` : 'x', ...names], output: [`t${i}`], attribute: s.attribute };
  });
  // a head that makes [N, 10] class scores of whatever the chain computed: sum over features, times ones
  const last = `t${steps.length - 1}`;
  node.push(
    { opType: 'Flatten', name: 'head_flatten', input: [last], output: ['head_flat'] },
    { opType: 'ReduceSum', name: 'head_sum', input: ['head_flat', 'head_axes'], output: ['head_s'], attribute: [int('keepdims', 1)] },
    { opType: 'Mul', name: 'head_scores', input: ['head_s', 'head_ones'], output: ['out'] },
  );
  initializer.push(i64('head_axes', [1]), { name: 'head_ones', dataType: 1, dims: [1, 10], rawData: f32(Array(10).fill(1)) });
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'chain', node, initializer, input: [vi('x', input)], output: [vi('out', ['N', 10])] },
  };
});

/** Valid bytes with a few of them changed, cut short, or a slice repeated: for the decoder's edges. */
export function arbMutation(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((edits) => {
      const b = valid.slice();
      for (const [i, v] of edits) b[i] = v;
      return b;
    }),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 64 })).map(([at, n]) => concatBytes(valid.subarray(0, at), valid.subarray(at, at + n), valid.subarray(at))),
  );
}

export const encodeModelProto = encode;
