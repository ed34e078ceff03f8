/**
 * Lowering rules: one per ONNX op of a gradient program, each turning a node into kernel instructions (abi.ts),
 * a view of its input (Reshape, Flatten, Squeeze, Unsqueeze, Identity: no copy), or a value known at plan time
 * (shape arithmetic, constants). An op without a rule, or an attribute a rule does not handle, throws
 * Unsupported: such programs run on onnxruntime.
 *
 * Fusions (each exact up to float rounding): a bias Add and a ReLU into the product or convolution before them;
 * a ReLU mask (Where(Greater(t, 0), g, 0), the compiler's ReLU backward) into the matrix product computing g,
 * which then skips the masked dot products; an inference batch normalization into the weights of the matrix
 * product after it, and its backward (a Mul by the same per-channel factor) into the transposed product.
 */
import { attr, type OnnxNode } from '../onnx/model.js';
import { resolveWindow } from '../compiler/ops/window.js';
import {
  BIN_ADD, BIN_COPY, BIN_DIV, BIN_MUL, BIN_SUB, GEMM_RELU, GEMM_ROWS, GEMM_TRANS_B, OP_AFFINE, OP_AVGPOOL, OP_BINARY,
  OP_CONV, OP_CONV_T, OP_GEMM, OP_MAXPOOL, OP_REDUCE, OP_SELECT_GT, OP_SOFTMAX, OP_TRANSPOSE, OP_UNARY, OP_UNPOOL,
  UN_EXP, UN_NEG, UN_RELU, UN_SIGMOID,
} from './abi.js';
import { size, Unsupported, type Const, type Planner, type Value } from './planner.js';

type Rule = (p: Planner, n: OnnxNode) => void;

const f32bits = (v: number) => new Int32Array(Float32Array.of(v).buffer)[0]!;

function set(p: Planner, n: OnnxNode, v: Value, i = 0): void {
  const name = n.outputs[i];
  if (name) p.values.set(name, v);
}

const input = (p: Planner, n: OnnxNode, i: number): Value => {
  const name = n.inputs[i];
  if (!name) throw new Unsupported(`${n.opType} "${n.name}" lacks input ${i}`);
  return p.value(name);
};

function acts(v: Value, n: OnnxNode): Value & { kind: 'act' } {
  if (v.kind !== 'act') throw new Unsupported(`${n.opType} "${n.name}" on a ${v.kind} operand`);
  return v;
}

function ints(v: Value, n: OnnxNode): number[] {
  if (v.kind !== 'ints') throw new Unsupported(`${n.opType} "${n.name}" needs a constant integer operand`);
  return v.values;
}

/** a scalar float constant (any shape with one element) */
function scalar(v: Value | undefined): number | undefined {
  if (!v) return undefined;
  if (v.kind === 'const' && v.data.length === 1) return v.data[0]!;
  if (v.kind === 'ints' && v.values.length === 1) return v.values[0]!;
  return undefined;
}

const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** the same storage under another shape */
function view(v: Value, shape: number[], n: OnnxNode): Value {
  if (size(shape) !== size(v.shape)) throw new Unsupported(`${n.opType} "${n.name}" changes the element count`);
  switch (v.kind) {
    case 'act': return { kind: 'act', shape, buf: v.buf };
    case 'const': return { kind: 'const', shape, data: v.data, key: v.key };
    case 'ints': return { kind: 'ints', shape, values: v.values };
    case 'indices': return { kind: 'indices', shape, buf: v.buf };
    case 'greater': return { kind: 'greater', shape, t: view(v.t, shape, n), c: v.c };
  }
}

function axesOf(p: Planner, n: OnnxNode, rank: number, attrName = 'axes'): number[] | undefined {
  const fromInput = n.inputs[1] ? ints(p.value(n.inputs[1]), n) : undefined;
  const list = fromInput ?? attr.ints(n, attrName);
  return list?.map((a) => axis(a, rank));
}

/** NumPy broadcasting of two shapes */
function broadcast(a: number[], b: number[], n: OnnxNode): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Unsupported(`${n.opType} "${n.name}": shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** element strides of `shape` read as `out` (0 along broadcast axes) */
function stridesFor(shape: number[], out: number[]): number[] {
  const r = out.length;
  const padded = [...Array(r - shape.length).fill(1), ...shape];
  const strides = Array(r).fill(0);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = padded[i] === 1 && out[i] !== 1 ? 0 : s;
    s *= padded[i]!;
  }
  return strides;
}

/** dims and strides collapsed where contiguous for every operand, padded to 4 axes */
function collapse(out: number[], strides: number[][], n: OnnxNode): { dims: number[]; strides: number[][] } {
  const dims = [...out];
  const ss = strides.map((s) => [...s]);
  for (let i = dims.length - 2; i >= 0; i--) {
    if (ss.every((s) => s[i] === s[i + 1]! * dims[i + 1]!)) {
      dims.splice(i, 2, dims[i]! * dims[i + 1]!);
      for (const s of ss) s.splice(i, 2, s[i + 1]!);
    }
  }
  // axes of size 1 carry nothing
  for (let i = dims.length - 1; i >= 0 && dims.length > 1; i--) {
    if (dims[i] === 1) {
      dims.splice(i, 1);
      for (const s of ss) s.splice(i, 1);
    }
  }
  if (dims.length > 4) throw new Unsupported(`${n.opType} "${n.name}" broadcasts over more than 4 axes`);
  while (dims.length < 4) {
    dims.unshift(1);
    for (const s of ss) s.unshift(0);
  }
  return { dims, strides: ss };
}

/** plan-time elementwise arithmetic on constants (NumPy broadcasting) */
function evaluateBinary(a: number[] | Float32Array, as: number[], b: number[] | Float32Array, bs: number[], f: (x: number, y: number) => number, n: OnnxNode): { shape: number[]; values: number[] } {
  const out = broadcast(as, bs, n);
  const sa = stridesFor(as, out);
  const sb = stridesFor(bs, out);
  const total = size(out);
  const values: number[] = [];
  const idx = Array(out.length).fill(0);
  for (let i = 0; i < total; i++) {
    let ia = 0;
    let ib = 0;
    for (let k = 0; k < out.length; k++) {
      ia += idx[k]! * sa[k]!;
      ib += idx[k]! * sb[k]!;
    }
    values.push(f(a[ia]!, b[ib]!));
    for (let k = out.length - 1; k >= 0; k--) {
      idx[k]++;
      if (idx[k]! < out[k]!) break;
      idx[k] = 0;
    }
  }
  return { shape: out, values };
}

/** a constant tensor transposed by `perm` */
function transposeData(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = perm.map((k) => shape[k]!);
  const inStrides = shape.map((_, i) => size(shape.slice(i + 1)));
  const idx = Array(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[i] = data[src]!;
    for (let k = outShape.length - 1; k >= 0; k--) {
      idx[k]++;
      if (idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** a [rows, cols] matrix stored [cols, rows] */
function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0, to = r; c < cols; c++, to += rows) out[to] = data[from + c]!;
  }
  return out;
}

/** a [rows, cols] constant stored [cols, rows], transposed here (keyed, so each orientation is placed once) */
function transposedNow(p: Planner, b: { key: string; data: Float32Array }, rows: number, cols: number): { con: Const } {
  const key = `${b.key}^T`;
  return p.con(key, p.consts.get(key)?.data ?? transposeMatrix(b.data, rows, cols));
}

const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * Follows views from `tensor` while each has a single reader; returns the chain and the first non-view node.
 */
function throughViews(p: Planner, tensor: string): { chain: OnnxNode[]; next: OnnxNode | undefined } {
  const chain: OnnxNode[] = [];
  let t = tensor;
  for (;;) {
    const c = p.soleConsumer(t);
    if (!c || !VIEWS.has(c.opType) || c.inputs[0] !== t) return { chain, next: c };
    chain.push(c);
    t = c.outputs[0]!;
  }
}

/** shapes for a chain of views, applied to `v` (their rules, without emitting anything) */
function applyViews(p: Planner, chain: OnnxNode[], v: Value): Value {
  let cur = v;
  for (const c of chain) {
    p.values.set(c.inputs[0]!, cur);
    RULES[c.opType]!(p, c);
    cur = p.value(c.outputs[0]!);
    p.fused.add(c);
  }
  return cur;
}

/** the shape a chain of views gives a tensor of `shape` (without lowering anything) */
function applyShapes(p: Planner, chain: OnnxNode[], shape: number[]): number[] {
  let cur: Value = { kind: 'ints', shape, values: [] };
  for (const c of chain) {
    const saved = p.values.get(c.outputs[0]!);
    p.values.set(c.inputs[0]!, { kind: 'act', shape: cur.shape, buf: { id: -1, bytes: 0, first: 1, last: 0, pinned: false, offset: 0 } });
    RULES[c.opType]!(p, c);
    cur = p.value(c.outputs[0]!);
    if (saved) p.values.set(c.outputs[0]!, saved);
  }
  return cur.shape;
}

/** the values of constant c broadcast over a tensor of `shape`, if they depend on the column (flat index mod n) only */
function perColumn(c: Value & { kind: 'const' }, shape: number[], n: number, node: OnnxNode): Float32Array | undefined {
  let spread: number[];
  try {
    spread = evaluateBinary(c.data, c.shape, new Float32Array(size(shape)), shape, (x) => x, node).values;
  } catch {
    return undefined;
  }
  if (spread.length !== size(shape)) return undefined;
  for (let i = n; i < spread.length; i++) if (spread[i] !== spread[i % n]) return undefined;
  return Float32Array.from(spread.slice(0, n));
}

/**
 * Y = A . B (+ bias), A an activation, B a constant [K, N] (logically; `stored` says how it is laid out), with
 * the bias, ReLU and mask fusions that follow it. `tensor`: the product's output name.
 */
function product(p: Planner, n: OnnxNode, a: Value & { kind: 'act' }, b: { key: string; data: Float32Array }, K: number, N: number, storedKN: boolean, bias: Float32Array | undefined, biasKey: string): void {
  const M = size(a.shape) / K;
  let out = n.outputs[0]!;
  let biasData = bias;
  let bKey = biasKey;
  let relu = false;
  let weights = b;
  let kn = storedKN;
  // a batch normalization before this product (its input): y = (x * s + t) . B = x . (diag(s) B) + t . B
  const bn = p.foldedNorm.get(n.inputs[0]!);
  if (bn) {
    const wk = kn ? weights.data : transposeData(weights.data, [N, K], [1, 0]);
    const scaled = new Float32Array(K * N);
    const extra = new Float32Array(N);
    for (let k = 0; k < K; k++) {
      const s = bn.scale[k]!;
      const t = bn.shift[k]!;
      for (let j = 0; j < N; j++) {
        scaled[k * N + j] = s * wk[k * N + j]!;
        extra[j] = extra[j]! + t * wk[k * N + j]!;
      }
    }
    weights = { key: `${weights.key}*bn(${bn.key})`, data: scaled };
    kn = true;
    biasData = Float32Array.from(extra, (v, j) => v + (biasData ? biasData[j % biasData.length]! : 0));
    bKey = `${biasKey}+bn(${bn.key})`;
  }
  // a bias Add, then a ReLU
  let next = p.soleConsumer(out);
  if (next?.opType === 'Add') {
    const other = next.inputs[0] === out ? next.inputs[1] : next.inputs[0];
    const c = other ? p.values.get(other) : undefined;
    if (c?.kind === 'const' && c.data.length === N && c.shape[c.shape.length - 1] === N) {
      const add = c.data;
      bKey = biasData ? `${bKey}+${c.key}` : c.key;
      biasData = biasData ? Float32Array.from(biasData, (v, j) => v + add[j]!) : add;
      p.fused.add(next);
      out = next.outputs[0]!;
      next = p.soleConsumer(out);
    }
  }
  if (next?.opType === 'Relu') {
    relu = true;
    p.fused.add(next);
    out = next.outputs[0]!;
  }
  // the product's (backward) output multiplied by a per-column constant (batch normalization's backward):
  // (A . B) * c = A . (B diag(c))
  if (!relu) {
    const { chain, next: after } = throughViews(p, out);
    if (after?.opType === 'Mul' && chain.length <= 2) {
      const viewed = applyShapes(p, chain, [...a.shape.slice(0, -1), N]);
      const other = after.inputs[0] === (chain.at(-1)?.outputs[0] ?? out) ? after.inputs[1] : after.inputs[0];
      const c = other ? p.values.get(other) : undefined;
      const column = c?.kind === 'const' && !biasData ? perColumn(c, viewed, N, after) : undefined;
      if (column && c?.kind === 'const') {
        const wk = kn ? weights.data : transposeData(weights.data, [N, K], [1, 0]);
        const scaled = new Float32Array(K * N);
        for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) scaled[k * N + j] = wk[k * N + j]! * column[j]!;
        weights = { key: `${weights.key}*${c.key}`, data: scaled };
        kn = true;
        for (const v of chain) p.fused.add(v);
        p.fused.add(after);
        out = after.outputs[0]!;
      }
    }
  }
  // a ReLU mask on the result: Where(Greater(t, 0), result, 0), possibly through views
  let mask: Value | undefined;
  let outShape: number[] | undefined;
  if (!relu) {
    const { chain, next: where } = throughViews(p, out);
    const last = chain.at(-1)?.outputs[0] ?? out;
    if (where?.opType === 'Where' && where.inputs[1] === last && scalar(p.values.get(where.inputs[2] ?? '')) === 0) {
      const greater = p.producer.get(where.inputs[0]!);
      const t = greater?.opType === 'Greater' && p.soleConsumer(where.inputs[0]!) === where ? p.values.get(greater.inputs[0]!) : undefined;
      if (t?.kind === 'act' && scalar(p.values.get(greater!.inputs[1] ?? '')) === 0 && size(t.shape) === M * N) {
        for (const v of chain) p.fused.add(v);
        p.fused.add(greater!);
        p.fused.add(where);
        mask = t;
        outShape = t.shape;
        out = where.outputs[0]!;
      }
    }
  }
  const y = p.act(outShape ?? [...a.shape.slice(0, -1), N]);
  // Masked: dot products (B stored [N, K]), so masked ones are skipped; otherwise B as stored (no copy). But an A
  // that is mostly zeros by construction (a ReLU output or a ReLU-masked gradient: in the backward pass of a ReLU
  // network typically three in four hidden units are off) is multiplied row by row of B stored [K, N], each of its
  // rows skipping the rows of B of its zero entries (GEMM_ROWS for several rows: restarts are off in different
  // places, so a blocked product would multiply every entry; the kernel still runs it blocked when A turns out mostly
  // nonzero, as fashion-cnn's pooled features are), at the price of a transposed copy of B.
  const sparse = p.zeroRich.has(a.buf);
  const nt = sparse ? false : mask ? true : !kn;
  const bArg = nt !== kn ? p.con(weights.key, weights.data) : kn ? transposedNow(p, weights, K, N) : p.conTransposed(weights, N, K);
  p.emit(OP_GEMM, [
    M, K, N, { buf: a.buf }, bArg, { buf: y.buf },
    (nt ? GEMM_TRANS_B : 0) | (relu ? GEMM_RELU : 0) | (sparse && M > 1 ? GEMM_ROWS : 0),
    biasData ? p.con(bKey, biasData) : 0,
    mask ? p.ref(mask) : 0,
  ]);
  if (relu || mask) p.zeroRich.add(y.buf);
  p.values.set(out, y);
  if (out !== n.outputs[0]) p.values.set(n.outputs[0]!, { kind: 'act', shape: [...a.shape.slice(0, -1), N], buf: y.buf });
}

function binaryRule(kind: number, f: (x: number, y: number) => number): Rule {
  return (p, n) => {
    const a = input(p, n, 0);
    const b = input(p, n, 1);
    if ((a.kind === 'const' || a.kind === 'ints') && (b.kind === 'const' || b.kind === 'ints')) {
      const r = evaluateBinary(a.kind === 'const' ? a.data : a.values, a.shape, b.kind === 'const' ? b.data : b.values, b.shape, f, n);
      if (a.kind === 'ints' && b.kind === 'ints') set(p, n, { kind: 'ints', shape: r.shape, values: r.values.map(Math.trunc) });
      else set(p, n, { kind: 'const', shape: r.shape, data: Float32Array.from(r.values), key: `${n.outputs[0]}` });
      return;
    }
    const out = broadcast(a.shape, b.shape, n);
    const { dims, strides } = collapse(out, [stridesFor(a.shape, out), stridesFor(b.shape, out)], n);
    const y = p.act(out);
    p.emit(OP_BINARY, [kind, ...dims, ...strides[0]!, ...strides[1]!, p.ref(a), p.ref(b), { buf: y.buf }]);
    set(p, n, y);
  };
}

function unaryRule(kind: number): Rule {
  return (p, n) => {
    const x = acts(input(p, n, 0), n);
    const y = p.act(x.shape);
    p.emit(OP_UNARY, [kind, size(x.shape), { buf: x.buf }, { buf: y.buf }]);
    if (kind === UN_RELU) p.zeroRich.add(y.buf);
    set(p, n, y);
  };
}

/** 2-D window attributes with explicit pads (the compiler writes SAME padding out) */
function window2(n: OnnxNode, spatial: number[], kernel: number[]) {
  if (spatial.length !== 2 || kernel.length !== 2) throw new Unsupported(`${n.opType} "${n.name}" is not 2-D`);
  if (attr.string(n, 'auto_pad', 'NOTSET') !== 'NOTSET') throw new Unsupported(`${n.opType} "${n.name}" with auto_pad`);
  if (attr.int(n, 'ceil_mode', 0) !== 0) throw new Unsupported(`${n.opType} "${n.name}" with ceil_mode`);
  const w = resolveWindow(n, spatial, kernel);
  return { ...w, out: w.out as number[] };
}

/** per-channel scale and shift of an inference batch normalization */
function normParams(p: Planner, n: OnnxNode): { scale: Float32Array; shift: Float32Array } {
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => input(p, n, i));
  if (![gamma, beta, mean, variance].every((v) => v?.kind === 'const')) throw new Unsupported(`BatchNormalization "${n.name}" with parameters that are not constants`);
  const g = (gamma as { data: Float32Array }).data;
  const b = (beta as { data: Float32Array }).data;
  const m = (mean as { data: Float32Array }).data;
  const v = (variance as { data: Float32Array }).data;
  const eps = attr.float(n, 'epsilon', 1e-5);
  const scale = new Float32Array(g.length);
  const shift = new Float32Array(g.length);
  for (let c = 0; c < g.length; c++) {
    // the same factor the compiler folds for the backward pass: scale / sqrt(var + eps)
    scale[c] = g[c]! / Math.sqrt(v[c]! + eps);
    shift[c] = b[c]! - m[c]! * scale[c]!;
  }
  return { scale, shift };
}

export const RULES: Record<string, Rule> = {
  Identity: (p, n) => set(p, n, input(p, n, 0)),
  Dropout: (p, n) => {
    if (n.outputs[1] && p.readers.get(n.outputs[1])) throw new Unsupported(`Dropout "${n.name}" with its mask output`);
    set(p, n, input(p, n, 0));
  },
  Flatten: (p, n) => {
    const x = input(p, n, 0);
    const a = axis(attr.int(n, 'axis', 1), x.shape.length);
    set(p, n, view(x, [size(x.shape.slice(0, a)), size(x.shape.slice(a))], n));
  },
  Reshape: (p, n) => {
    const x = input(p, n, 0);
    const target = ints(input(p, n, 1), n);
    const allowZero = attr.int(n, 'allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    set(p, n, view(x, shape.map((d) => (d === -1 ? size(x.shape) / known : d)), n));
  },
  Squeeze: (p, n) => {
    const x = input(p, n, 0);
    const axes = axesOf(p, n, x.shape.length);
    set(p, n, view(x, x.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), n));
  },
  Unsqueeze: (p, n) => {
    const x = input(p, n, 0);
    const rank = x.shape.length + (axesOf(p, n, 0)?.length ?? 0);
    const axes = axesOf(p, n, rank) ?? [];
    const shape: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
    set(p, n, view(x, shape, n));
  },
  Shape: (p, n) => {
    const x = input(p, n, 0);
    const r = x.shape.length;
    const start = axis(attr.int(n, 'start', 0), r);
    const end = n.attrs.end ? axis(attr.int(n, 'end', r), r) : r;
    const values = x.shape.slice(Math.max(0, start), Math.min(r, end));
    set(p, n, { kind: 'ints', shape: [values.length], values });
  },
  Constant: (p, n) => {
    const t = attr.tensor(n, 'value');
    if (!t) throw new Unsupported(`Constant "${n.name}" without a tensor value`);
    if (t.dtype === 'float32') set(p, n, { kind: 'const', shape: t.dims, data: t.data as Float32Array, key: n.outputs[0]! });
    else set(p, n, { kind: 'ints', shape: t.dims, values: Array.from(t.data as ArrayLike<number | bigint>, Number) });
  },
  ConstantOfShape: (p, n) => {
    const shape = ints(input(p, n, 0), n);
    const t = attr.tensor(n, 'value');
    const v = t ? Number(t.data[0] ?? 0) : 0;
    if (!t || t.dtype === 'float32') set(p, n, { kind: 'const', shape, data: new Float32Array(size(shape)).fill(v), key: n.outputs[0]! });
    else set(p, n, { kind: 'ints', shape, values: Array(size(shape)).fill(v) });
  },
  Gather: (p, n) => {
    const data = ints(input(p, n, 0), n);
    const index = input(p, n, 1);
    const idx = ints(index, n);
    if (input(p, n, 0).shape.length !== 1 || attr.int(n, 'axis', 0) !== 0) throw new Unsupported(`Gather "${n.name}" beyond 1-D shape arithmetic`);
    set(p, n, { kind: 'ints', shape: index.shape, values: idx.map((i) => data[i < 0 ? i + data.length : i]!) });
  },
  Concat: (p, n) => {
    const parts = n.inputs.map((_, i) => input(p, n, i));
    if (!parts.every((v) => v.kind === 'ints' && v.shape.length === 1)) throw new Unsupported(`Concat "${n.name}" of tensors`);
    const values = parts.flatMap((v) => (v as { values: number[] }).values);
    set(p, n, { kind: 'ints', shape: [values.length], values });
  },
  Cast: (p, n) => {
    const x = input(p, n, 0);
    const to = attr.int(n, 'to', 1);
    if (to === 1 && x.kind === 'ints') set(p, n, { kind: 'const', shape: x.shape, data: Float32Array.from(x.values), key: n.outputs[0]! });
    else if (to === 1 && x.kind !== 'indices' && x.kind !== 'greater') set(p, n, x);
    else if (to !== 1 && x.kind === 'ints') set(p, n, x);
    else throw new Unsupported(`Cast "${n.name}" to type ${to}`);
  },
  Transpose: (p, n) => {
    const x = input(p, n, 0);
    const r = x.shape.length;
    const perm = attr.ints(n, 'perm') ?? [...Array(r).keys()].reverse();
    const shape = perm.map((k) => x.shape[k]!);
    if (x.kind === 'const') {
      set(p, n, { kind: 'const', shape, data: transposeData(x.data, x.shape, perm), key: `${x.key}^${perm.join('')}` });
      return;
    }
    const a = acts(x, n);
    if (r > 4) throw new Unsupported(`Transpose "${n.name}" of rank ${r}`);
    const inStrides = a.shape.map((_, i) => size(a.shape.slice(i + 1)));
    const dims = [...Array(4 - r).fill(1), ...shape];
    const strides = [...Array(4 - r).fill(0), ...perm.map((k) => inStrides[k]!)];
    const y = p.act(shape);
    p.emit(OP_TRANSPOSE, [...dims, ...strides, { buf: a.buf }, { buf: y.buf }]);
    set(p, n, y);
  },

  MatMul: (p, n) => {
    const a = acts(input(p, n, 0), n);
    const b = input(p, n, 1);
    if (b.kind !== 'const' || b.shape.length !== 2) throw new Unsupported(`MatMul "${n.name}" without constant 2-D weights`);
    const [K, N] = b.shape as [number, number];
    if (a.shape[a.shape.length - 1] !== K) throw new Unsupported(`MatMul "${n.name}": [${a.shape}] x [${b.shape}]`);
    product(p, n, a, b, K, N, true, undefined, '');
  },
  Gemm: (p, n) => {
    const a = acts(input(p, n, 0), n);
    const b = input(p, n, 1);
    if (b.kind !== 'const' || b.shape.length !== 2) throw new Unsupported(`Gemm "${n.name}" without constant weights`);
    if (attr.int(n, 'transA', 0) !== 0) throw new Unsupported(`Gemm "${n.name}" with transA`);
    if (attr.float(n, 'alpha', 1) !== 1) throw new Unsupported(`Gemm "${n.name}" with alpha != 1`);
    const transB = attr.int(n, 'transB', 0) === 1;
    const [K, N] = (transB ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
    if (a.shape.length !== 2 || a.shape[1] !== K) throw new Unsupported(`Gemm "${n.name}": [${a.shape}] x [${b.shape}]`);
    let bias: Float32Array | undefined;
    let biasKey = '';
    const cName = n.inputs[2];
    if (cName) {
      const c = p.value(cName);
      const beta = attr.float(n, 'beta', 1);
      if (c.kind !== 'const' || c.data.length !== N || (c.shape.length === 2 && c.shape[0] !== 1)) throw new Unsupported(`Gemm "${n.name}" with a bias that is not a row of constants`);
      bias = beta === 1 ? c.data : Float32Array.from(c.data, (v) => v * beta);
      biasKey = beta === 1 ? c.key : `${c.key}*${beta}`;
    }
    product(p, n, a, b, K, N, !transB, bias, biasKey);
  },

  Add: binaryRule(BIN_ADD, (x, y) => x + y),
  Sub: binaryRule(BIN_SUB, (x, y) => x - y),
  Mul: binaryRule(BIN_MUL, (x, y) => x * y),
  Div: binaryRule(BIN_DIV, (x, y) => x / y),
  Sum: (p, n) => {
    if (n.inputs.length === 1) return set(p, n, input(p, n, 0));
    let acc = input(p, n, 0);
    for (let i = 1; i < n.inputs.length; i++) {
      const b = input(p, n, i);
      const out = broadcast(acc.shape, b.shape, n);
      const { dims, strides } = collapse(out, [stridesFor(acc.shape, out), stridesFor(b.shape, out)], n);
      const y = p.act(out);
      p.emit(OP_BINARY, [BIN_ADD, ...dims, ...strides[0]!, ...strides[1]!, p.ref(acc), p.ref(b), { buf: y.buf }]);
      acc = y;
    }
    set(p, n, acc);
  },
  Relu: unaryRule(UN_RELU),
  Exp: unaryRule(UN_EXP),
  Neg: unaryRule(UN_NEG),
  Sigmoid: unaryRule(UN_SIGMOID),

  Greater: (p, n) => {
    const t = input(p, n, 0);
    const c = scalar(p.values.get(n.inputs[1] ?? ''));
    if (t.kind !== 'act' || c === undefined) throw new Unsupported(`Greater "${n.name}" other than with a scalar constant`);
    set(p, n, { kind: 'greater', shape: t.shape, t, c });
  },
  Where: (p, n) => {
    const cond = input(p, n, 0);
    const a = input(p, n, 1);
    const b = scalar(p.values.get(n.inputs[2] ?? ''));
    if (cond.kind !== 'greater' || b === undefined) throw new Unsupported(`Where "${n.name}" other than a mask by Greater`);
    if (size(cond.shape) !== size(a.shape) || a.kind !== 'act') throw new Unsupported(`Where "${n.name}" with broadcasting`);
    const y = p.act(a.shape);
    p.emit(OP_SELECT_GT, [size(a.shape), p.ref(cond.t), f32bits(cond.c), { buf: a.buf }, f32bits(b), { buf: y.buf }]);
    if (b === 0 && cond.c === 0) p.zeroRich.add(y.buf);
    set(p, n, y);
  },
  Expand: (p, n) => {
    const x = input(p, n, 0);
    const out = broadcast(x.shape, ints(input(p, n, 1), n), n);
    if (size(out) === size(x.shape)) return set(p, n, view(x, out, n));
    const { dims, strides } = collapse(out, [stridesFor(x.shape, out), out.map(() => 0)], n);
    const y = p.act(out);
    p.emit(OP_BINARY, [BIN_COPY, ...dims, ...strides[0]!, ...strides[1]!, p.ref(x), p.ref(x), { buf: y.buf }]);
    set(p, n, y);
  },

  Conv: (p, n) => {
    const x = acts(input(p, n, 0), n);
    const w = input(p, n, 1);
    if (w.kind !== 'const' || w.shape.length !== 4 || x.shape.length !== 4) throw new Unsupported(`Conv "${n.name}" other than 2-D with constant weights`);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
    const G = attr.int(n, 'group', 1);
    if (Cg * G !== C || M % G !== 0) throw new Unsupported(`Conv "${n.name}": channels do not match the groups`);
    const win = window2(n, [H, W], [KH, KW]);
    const [OH, OW] = win.out as [number, number];
    let bias: Float32Array | undefined;
    let biasKey = '';
    if (n.inputs[2]) {
      const b = p.value(n.inputs[2]);
      if (b.kind !== 'const') throw new Unsupported(`Conv "${n.name}" with a computed bias`);
      bias = b.data;
      biasKey = b.key;
    }
    let out = n.outputs[0]!;
    let weights = { key: w.key, data: w.data };
    let next = p.soleConsumer(out);
    // a batch normalization after the convolution: W' = W * s, b' = b * s + t, per output channel
    if (next?.opType === 'BatchNormalization' && next.inputs[0] === out) {
      const { scale, shift } = normParams(p, next);
      if (scale.length === M) {
        const per = Cg * KH * KW;
        weights = { key: `${w.key}*bn(${next.outputs[0]})`, data: Float32Array.from(w.data, (v, i) => v * scale[Math.floor(i / per)]!) };
        bias = Float32Array.from(scale, (s, c) => (bias ? bias[c]! : 0) * s + shift[c]!);
        biasKey = `${biasKey}*bn(${next.outputs[0]})`;
        p.fused.add(next);
        out = next.outputs[0]!;
        next = p.soleConsumer(out);
      }
    }
    if (next?.opType === 'Add') {
      const other = next.inputs[0] === out ? next.inputs[1] : next.inputs[0];
      const c = other ? p.values.get(other) : undefined;
      const perChannel = c?.kind === 'const' && c.data.length === M && size(c.shape.slice(-2)) === 1 && (c.shape.length < 3 || c.shape[c.shape.length - 3] === M);
      if (perChannel) {
        bias = bias ? Float32Array.from(bias, (v, i) => v + c.data[i]!) : c.data;
        biasKey = `${biasKey}+${c.key}`;
        p.fused.add(next);
        out = next.outputs[0]!;
        next = p.soleConsumer(out);
      }
    }
    let relu = false;
    if (next?.opType === 'Relu') {
      relu = true;
      p.fused.add(next);
      out = next.outputs[0]!;
    }
    const direct = KH === 1 && KW === 1 && win.strides.every((s) => s === 1) && win.pads.every((v) => v === 0);
    const col = p.buf(direct ? 1 : (C / G) * KH * KW * OH * OW);
    const y = p.act([N, M, OH, OW]);
    p.emit(OP_CONV, [
      N, C, H, W, M, OH, OW, KH, KW, win.strides[0]!, win.strides[1]!, win.pads[0]!, win.pads[1]!, win.dilations[0]!, win.dilations[1]!, G,
      { buf: x.buf }, p.con(weights.key, weights.data), bias ? p.con(biasKey, bias) : 0, { buf: y.buf }, { buf: col }, relu ? 1 : 0,
    ]);
    p.values.set(out, y);
    if (out !== n.outputs[0]) p.values.set(n.outputs[0]!, { kind: 'act', shape: y.shape, buf: y.buf });
  },
  ConvTranspose: (p, n) => {
    const g = acts(input(p, n, 0), n);
    const w = input(p, n, 1);
    if (w.kind !== 'const' || w.shape.length !== 4 || g.shape.length !== 4) throw new Unsupported(`ConvTranspose "${n.name}" other than 2-D with constant weights`);
    if (n.inputs[2] || n.attrs.output_shape) throw new Unsupported(`ConvTranspose "${n.name}" with a bias or output_shape`);
    const [N, C, OH, OW] = g.shape as [number, number, number, number];
    const [Cw, Mg, KH, KW] = w.shape as [number, number, number, number];
    const G = attr.int(n, 'group', 1);
    if (Cw !== C || C % G !== 0) throw new Unsupported(`ConvTranspose "${n.name}": channels do not match the weights`);
    if (attr.string(n, 'auto_pad', 'NOTSET') !== 'NOTSET') throw new Unsupported(`ConvTranspose "${n.name}" with auto_pad`);
    const strides = attr.ints(n, 'strides') ?? [1, 1];
    const dil = attr.ints(n, 'dilations') ?? [1, 1];
    const pads = attr.ints(n, 'pads') ?? [0, 0, 0, 0];
    const outPad = attr.ints(n, 'output_padding') ?? [0, 0];
    const H = (OH - 1) * strides[0]! - pads[0]! - pads[2]! + dil[0]! * (KH - 1) + 1 + outPad[0]!;
    const W = (OW - 1) * strides[1]! - pads[1]! - pads[3]! + dil[1]! * (KW - 1) + 1 + outPad[1]!;
    const M = Mg * G;
    const Cg = C / G;
    const R = Mg * KH * KW;
    // per group, [R, Cg]: Wt[(m, ky, kx), c] = W[g * Cg + c, m, ky, kx]
    const key = `${w.key}^convT`;
    let data = p.consts.get(key)?.data;
    if (!data) {
      data = new Float32Array(w.data.length);
      for (let gi = 0; gi < G; gi++) {
        for (let c = 0; c < Cg; c++) {
          for (let r = 0; r < R; r++) data[gi * R * Cg + r * Cg + c] = w.data[(gi * Cg + c) * R + r]!;
        }
      }
    }
    const col = p.buf(R * OH * OW);
    const y = p.act([N, M, H, W]);
    p.emit(OP_CONV_T, [
      N, C, OH, OW, M, H, W, KH, KW, strides[0]!, strides[1]!, pads[0]!, pads[1]!, dil[0]!, dil[1]!, G,
      { buf: g.buf }, p.con(key, data), { buf: y.buf }, { buf: col },
    ]);
    set(p, n, y);
  },
  MaxPool: (p, n) => {
    const x = acts(input(p, n, 0), n);
    if (attr.int(n, 'storage_order', 0) !== 0) throw new Unsupported(`MaxPool "${n.name}" with storage_order`);
    const kernel = attr.ints(n, 'kernel_shape') ?? [];
    if (x.shape.length !== 4) throw new Unsupported(`MaxPool "${n.name}" is not 2-D`);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const win = window2(n, [H, W], kernel);
    const [OH, OW] = win.out as [number, number];
    const y = p.act([N, C, OH, OW]);
    const keep = n.outputs[1] && p.readers.get(n.outputs[1]);
    const idx = keep ? p.buf(N * C * OH * OW) : undefined;
    p.emit(OP_MAXPOOL, [
      N, C, H, W, OH, OW, kernel[0]!, kernel[1]!, win.strides[0]!, win.strides[1]!, win.pads[0]!, win.pads[1]!, win.dilations[0]!, win.dilations[1]!,
      { buf: x.buf }, { buf: y.buf }, idx ? { buf: idx } : 0,
    ]);
    if (p.zeroRich.has(x.buf)) p.zeroRich.add(y.buf);
    set(p, n, y);
    if (idx) set(p, n, { kind: 'indices', shape: y.shape, buf: idx }, 1);
  },
  MaxUnpool: (p, n) => {
    const g = acts(input(p, n, 0), n);
    const idx = input(p, n, 1);
    if (idx.kind !== 'indices' || g.shape.length !== 4) throw new Unsupported(`MaxUnpool "${n.name}" without the indices of a MaxPool`);
    const [N, C, PH, PW] = g.shape as [number, number, number, number];
    let shape: number[];
    if (n.inputs[2]) shape = ints(input(p, n, 2), n);
    else {
      const k = attr.ints(n, 'kernel_shape') ?? [1, 1];
      const s = attr.ints(n, 'strides') ?? [1, 1];
      const pads = attr.ints(n, 'pads') ?? [0, 0, 0, 0];
      shape = [N, C, (PH - 1) * s[0]! - pads[0]! - pads[2]! + k[0]!, (PW - 1) * s[1]! - pads[1]! - pads[3]! + k[1]!];
    }
    const y = p.act(shape);
    p.emit(OP_UNPOOL, [N, C, PH * PW, shape[2]! * shape[3]!, { buf: g.buf }, { buf: idx.buf }, { buf: y.buf }]);
    set(p, n, y);
  },
  AveragePool: (p, n) => {
    const x = acts(input(p, n, 0), n);
    const kernel = attr.ints(n, 'kernel_shape') ?? [];
    if (x.shape.length !== 4) throw new Unsupported(`AveragePool "${n.name}" is not 2-D`);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const win = window2(n, [H, W], kernel);
    const [OH, OW] = win.out as [number, number];
    const y = p.act([N, C, OH, OW]);
    p.emit(OP_AVGPOOL, [
      N, C, H, W, OH, OW, kernel[0]!, kernel[1]!, win.strides[0]!, win.strides[1]!, win.pads[0]!, win.pads[1]!, win.pads[2]!, win.pads[3]!,
      attr.int(n, 'count_include_pad', 0), { buf: x.buf }, { buf: y.buf },
    ]);
    set(p, n, y);
  },
  GlobalAveragePool: (p, n) => {
    const x = acts(input(p, n, 0), n);
    const [N, C] = x.shape as [number, number];
    const area = size(x.shape.slice(2));
    const y = p.act([N, C, ...x.shape.slice(2).map(() => 1)]);
    p.emit(OP_REDUCE, [N * C, area, 1, { buf: x.buf }, { buf: y.buf }, f32bits(1 / area)]);
    set(p, n, y);
  },
  BatchNormalization: (p, n) => {
    const x = acts(input(p, n, 0), n);
    const { scale, shift } = normParams(p, n);
    // folded into the matrix product that reads it (possibly through views), when it is the only reader
    const { chain, next } = throughViews(p, n.outputs[0]!);
    const w = next ? p.values.get(next.inputs[1] ?? '') : undefined;
    const k = w?.kind !== 'const' || w.shape.length !== 2 ? -1 : next!.opType === 'Gemm' && attr.int(next!, 'transB', 0) === 1 ? w.shape[1] : w.shape[0];
    if ((next?.opType === 'MatMul' || next?.opType === 'Gemm') && x.shape.length >= 2 && size(x.shape.slice(2)) === 1 && k === scale.length) {
      const reads = chain.at(-1)?.outputs[0] ?? n.outputs[0]!;
      if (next.inputs[0] === reads) {
        applyViews(p, chain, x);
        p.foldedNorm.set(reads, { scale, shift, key: n.outputs[0]! });
        set(p, n, x);
        p.values.set(reads, view(x, p.value(reads).shape, n));
        return;
      }
    }
    const C = x.shape[1]!;
    const y = p.act(x.shape);
    p.emit(OP_AFFINE, [x.shape[0]!, C, size(x.shape.slice(2)), { buf: x.buf }, p.con(`${n.outputs[0]}:scale`, scale), p.con(`${n.outputs[0]}:shift`, shift), { buf: y.buf }]);
    set(p, n, y);
  },
  Softmax: softmaxRule(false),
  LogSoftmax: softmaxRule(true),
  ReduceSum: reduceRule(false),
  ReduceMean: reduceRule(true),
};

function softmaxRule(log: boolean): Rule {
  return (p, n) => {
    const x = acts(input(p, n, 0), n);
    const r = x.shape.length;
    if (axis(attr.int(n, 'axis', -1), r) !== r - 1) throw new Unsupported(`${n.opType} "${n.name}" over an axis other than the last`);
    const cols = x.shape[r - 1]!;
    const y = p.act(x.shape);
    p.emit(OP_SOFTMAX, [size(x.shape) / cols, cols, { buf: x.buf }, { buf: y.buf }, log ? 1 : 0]);
    set(p, n, y);
  };
}

function reduceRule(mean: boolean): Rule {
  return (p, n) => {
    const x = acts(input(p, n, 0), n);
    const r = x.shape.length;
    let axes = axesOf(p, n, r);
    if (!axes || axes.length === 0) {
      if (attr.int(n, 'noop_with_empty_axes', 0) === 1) return set(p, n, x);
      axes = [...Array(r).keys()];
    }
    axes = [...new Set(axes)].sort((a, b) => a - b);
    if (axes[axes.length - 1]! - axes[0]! !== axes.length - 1) throw new Unsupported(`${n.opType} "${n.name}" over axes that are not adjacent`);
    const outer = size(x.shape.slice(0, axes[0]));
    const mid = size(axes.map((a) => x.shape[a]!));
    const inner = size(x.shape.slice(axes[axes.length - 1]! + 1));
    const keep = attr.int(n, 'keepdims', 1) === 1;
    const shape = keep ? x.shape.map((d, i) => (axes!.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes!.includes(i));
    const y = p.act(shape);
    p.emit(OP_REDUCE, [outer, mid, inner, { buf: x.buf }, { buf: y.buf }, f32bits(mean ? 1 / mid : 1)]);
    set(p, n, y);
  };
}

export function lowerNode(p: Planner, n: OnnxNode): void {
  const rule = RULES[n.opType];
  if (!rule) throw new Unsupported(`op ${n.opType}`);
  rule(p, n);
}
