/**
 * An ONNX model as plain data: nodes with decoded attributes, initializers as typed arrays, opsets by domain.
 *
 * `decodeModel` turns protobuf bytes into this form and refuses what Ascent cannot take with an `OnnxFormatError`
 * that says why (malformed bytes, external data, sparse or string initializers, control-flow sub-graphs).
 * `encodeModel` writes it back (tensors always as raw little-endian bytes).
 */
import { onnx, int, bigint, type IAttributeProto, type IGraphProto, type ITensorProto, type IValueInfoProto } from './proto.js';
import { OnnxFormatError } from './errors.js';
import { DEFAULT_READ_LIMITS, scanModel, type ReadLimits } from './scan.js';
import {
  DTYPE_CODES, allocate, bytesPerElement, dtypeCode, fromRawBytes, rawBytes, sizeOf,
  type DType, type Tensor,
} from './tensor.js';

export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  /** null when the rank is unknown; a string is a symbolic dimension (e.g. "batch_size"); null an unknown one */
  shape: Dim[] | null;
}

export type Attr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  /** a sub-graph (Loop, If bodies): written by Ascent, never read from a user's model */
  | { type: 'graph'; value: OnnxGraph };

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' is the default domain ai.onnx */
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, Tensor>;
  /** Graph inputs that are not initializers: what a caller must feed. */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  /** opset version by domain ('' = ai.onnx) */
  opsets: Map<string, number>;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

export { OnnxFormatError };

/** The most elements one tensor may have, whatever the limits a caller passes (a typed array's safe size). */
const MAX_TENSOR_ELEMENTS = 64 * 1024 * 1024;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function clampInt64(v: unknown): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    if (v >= 9.2e18) return INT64_MAX;
    if (v <= -9.2e18) return INT64_MIN;
    return BigInt(Math.trunc(v));
  }
  return bigint(v);
}

/** Decodes a TensorProto, checking its declared size against the values it holds before allocating anything. */
export function decodeTensor(t: ITensorProto, context: string): Tensor {
  const dtype = DTYPE_CODES[t.dataType ?? 0] ?? 'undefined';
  const dims = (t.dims ?? []).map(int);
  const where = `${context}${t.name ? ` "${t.name}"` : ''}`;
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0)) {
    throw new OnnxFormatError(`${where} keeps its values in an external file; save the model with all tensors inside the .onnx file (onnx.save_model(..., save_as_external_data=False))`);
  }
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new OnnxFormatError(`${where} has invalid dims [${dims}]`);
  const length = sizeOf(dims);
  const width = bytesPerElement(dtype);
  if (width === undefined) throw new OnnxFormatError(`${where} has element type ${dtype}, which Ascent does not read`);
  if (length > MAX_TENSOR_ELEMENTS) throw new OnnxFormatError(`${where} has ${length} elements, more than the ${MAX_TENSOR_ELEMENTS} allowed`);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== width * length) {
      throw new OnnxFormatError(`${where}: raw_data holds ${t.rawData.length} bytes, the dims [${dims}] need ${width * length}`);
    }
    return { dtype, dims, data: fromRawBytes(dtype, t.rawData, length) };
  }
  const source: ArrayLike<unknown> =
    dtype === 'float32' ? t.floatData ?? []
      : dtype === 'float64' ? t.doubleData ?? []
        : dtype === 'int64' ? t.int64Data ?? []
          : dtype === 'uint32' || dtype === 'uint64' ? t.uint64Data ?? []
            : t.int32Data ?? [];
  if (source.length !== length) {
    throw new OnnxFormatError(`${where} has ${source.length} values for dims [${dims}] (${length} expected)`);
  }
  const data = allocate(dtype, length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < length; i++) data[i] = clampInt64(source[i]);
  } else {
    for (let i = 0; i < length; i++) (data as Float32Array)[i] = Number(source[i]);
  }
  return { dtype, dims, data };
}

export function encodeTensor(name: string, t: Tensor): ITensorProto {
  return { name, dataType: dtypeCode(t.dtype), dims: t.dims, rawData: rawBytes(t).slice() };
}

function decodeAttr(a: IAttributeProto, nodeName: string): Attr | undefined {
  const where = `attribute "${a.name}" of node "${nodeName}"`;
  switch (a.type) {
    case 1: return { type: 'float', value: a.f ?? 0 };
    case 2: return { type: 'int', value: int(a.i) };
    case 3: return { type: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case 4: return { type: 'tensor', value: decodeTensor(a.t ?? {}, where) };
    case 6: return { type: 'floats', value: [...(a.floats ?? [])] };
    case 7: return { type: 'ints', value: (a.ints ?? []).map(int) };
    case 8: return { type: 'strings', value: (a.strings ?? []).map((s) => new TextDecoder().decode(s)) };
    case 5: case 10:
      throw new OnnxFormatError(`${where} holds a sub-graph (control flow such as If/Loop/Scan), which Ascent cannot differentiate`);
    case 0: case undefined: case null: {
      // IR version 1 files may leave `type` unset; infer it from the field that is present.
      if (a.floats && a.floats.length) return { type: 'floats', value: [...a.floats] };
      if (a.ints && a.ints.length) return { type: 'ints', value: a.ints.map(int) };
      if (a.t) return { type: 'tensor', value: decodeTensor(a.t, where) };
      if (a.s && a.s.length) return { type: 'string', value: new TextDecoder().decode(a.s) };
      if (typeof a.f === 'number' && a.f !== 0) return { type: 'float', value: a.f };
      return { type: 'int', value: int(a.i) };
    }
    default:
      throw new OnnxFormatError(`${where} has attribute type ${a.type}, which Ascent does not read`);
  }
}

function encodeAttr(name: string, a: Attr): IAttributeProto {
  switch (a.type) {
    case 'float': return { name, type: 1, f: a.value };
    case 'int': return { name, type: 2, i: a.value };
    case 'string': return { name, type: 3, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: 4, t: encodeTensor('', a.value) };
    case 'floats': return { name, type: 6, floats: a.value };
    case 'ints': return { name, type: 7, ints: a.value };
    case 'strings': return { name, type: 8, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'graph': return { name, type: 5, g: encodeGraph(a.value) };
  }
}

function decodeValueInfo(v: IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const dtype = DTYPE_CODES[tt?.elemType ?? 0] ?? 'undefined';
  const shape = tt?.shape ? (tt.shape.dim ?? []).map((d): Dim => {
    if (d.dimParam) return d.dimParam;
    const n = int(d.dimValue);
    return n > 0 ? n : null;
  }) : null;
  return { name: v.name ?? '', dtype, shape };
}

function encodeValueInfo(v: ValueInfo): IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: dtypeCode(v.dtype),
        shape: v.shape === null ? undefined : {
          dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})),
        },
      },
    },
  };
}

/**
 * Parses ONNX protobuf bytes. Every failure is an OnnxFormatError with a message for the model's author. The bytes
 * are walked within `limits` first (scan.ts), so nothing is allocated for what a file declares beyond them.
 */
export function decodeModel(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): OnnxModel {
  if (bytes.byteLength === 0) throw new OnnxFormatError('the file is empty');
  scanModel(bytes, limits);
  let proto: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`not a valid ONNX file (protobuf decoding failed: ${(e as Error).message})`);
  }
  const g = proto.graph;
  if (!g || !g.node || g.node.length === 0) {
    throw new OnnxFormatError('not a valid ONNX file: it has no graph with nodes (is it an ONNX ModelProto?)');
  }
  const opsets = new Map<string, number>();
  for (const o of proto.opsetImport ?? []) {
    const domain = o.domain === 'ai.onnx' ? '' : o.domain ?? '';
    opsets.set(domain, int(o.version));
  }
  if (!opsets.has('')) {
    if ((proto.opsetImport ?? []).length === 0) opsets.set('', 1);
  }
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', decodeTensor(t, 'initializer'));
  if ((g.sparseInitializer ?? []).length > 0) {
    throw new OnnxFormatError('the graph has sparse initializers, which Ascent does not read; densify them before export');
  }
  const nodes: OnnxNode[] = g.node.map((n, i) => {
    const name = n.name || `${n.opType ?? 'node'}_${i}`;
    const attrs: Record<string, Attr> = {};
    for (const a of n.attribute ?? []) {
      if (a.refAttrName) throw new OnnxFormatError(`attribute "${a.name}" of node "${name}" refers to a function attribute`);
      const decoded = decodeAttr(a, name);
      if (decoded) attrs[a.name ?? ''] = decoded;
    }
    return {
      name,
      opType: n.opType ?? '',
      domain: n.domain === 'ai.onnx' ? '' : n.domain ?? '',
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attrs,
    };
  });
  const metadata: Record<string, string> = {};
  for (const p of proto.metadataProps ?? []) metadata[p.key ?? ''] = p.value ?? '';
  return {
    irVersion: int(proto.irVersion),
    opsets,
    producerName: proto.producerName ?? '',
    producerVersion: proto.producerVersion ?? '',
    metadata,
    graph: {
      name: g.name ?? 'graph',
      nodes,
      initializers,
      // IR < 4 lists every initializer among the inputs too; those are weights, not inputs.
      inputs: (g.input ?? []).map(decodeValueInfo).filter((v) => !initializers.has(v.name)),
      outputs: (g.output ?? []).map(decodeValueInfo),
      valueInfo: (g.valueInfo ?? []).map(decodeValueInfo),
    },
  };
}

function encodeGraph(g: OnnxGraph): IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
    })),
    initializer: [...g.initializers].map(([name, t]) => encodeTensor(name, t)),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    valueInfo: g.valueInfo.map(encodeValueInfo),
  };
}

/** Writes a model as ONNX protobuf bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: m.irVersion,
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    opsetImport: [...m.opsets].map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
    graph: encodeGraph(m.graph),
  }).finish();
}

/** Attribute accessors with defaults; they throw when an attribute has an unexpected type. */
export const attr = {
  int(n: OnnxNode, key: string, fallback: number): number {
    const a = n.attrs[key];
    if (!a) return fallback;
    if (a.type !== 'int') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be an int`);
    return a.value;
  },
  float(n: OnnxNode, key: string, fallback: number): number {
    const a = n.attrs[key];
    if (!a) return fallback;
    if (a.type === 'int') return a.value;
    if (a.type !== 'float') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be a float`);
    if (!Number.isFinite(a.value)) throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} is ${a.value}; it must be a finite number`);
    return a.value;
  },
  ints(n: OnnxNode, key: string): number[] | undefined {
    const a = n.attrs[key];
    if (!a) return undefined;
    if (a.type === 'int') return [a.value];
    if (a.type !== 'ints') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be a list of ints`);
    return a.value;
  },
  floats(n: OnnxNode, key: string): number[] | undefined {
    const a = n.attrs[key];
    if (!a) return undefined;
    if (a.type !== 'floats') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be a list of floats`);
    return a.value;
  },
  string(n: OnnxNode, key: string, fallback: string): string {
    const a = n.attrs[key];
    if (!a) return fallback;
    if (a.type !== 'string') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be a string`);
    return a.value;
  },
  tensor(n: OnnxNode, key: string): Tensor | undefined {
    const a = n.attrs[key];
    if (!a) return undefined;
    if (a.type !== 'tensor') throw new OnnxFormatError(`node "${n.name}" (${n.opType}): attribute ${key} should be a tensor`);
    return a.value;
  },
};

export const A = {
  int: (value: number): Attr => ({ type: 'int', value }),
  float: (value: number): Attr => ({ type: 'float', value }),
  ints: (value: number[]): Attr => ({ type: 'ints', value }),
  floats: (value: number[]): Attr => ({ type: 'floats', value }),
  string: (value: string): Attr => ({ type: 'string', value }),
  tensor: (value: Tensor): Attr => ({ type: 'tensor', value }),
};
