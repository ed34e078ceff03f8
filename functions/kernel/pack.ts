/**
 * A compiled gradient program (its graph, pruned to what a run fetches, and its metadata) as one buffer that
 * loads without parsing protobuf: a JSON header, then the float weights as raw little-endian f32, read in place.
 * The built-in models' programs are packed at build time (npm run build:programs) and shipped with the Worker,
 * so a fresh isolate neither compiles nor decodes them.
 *
 *   "ASCP" | u32 header bytes | header (UTF-8 JSON, padded to 4 bytes) | f32 data
 */
import type { ProgramMeta } from '../compiler/index.js';
import type { Attr, OnnxGraph, OnnxNode } from '../onnx/model.js';
import { allocate, type DType, type Tensor } from '../onnx/tensor.js';

export interface PackedProgram {
  graph: OnnxGraph;
  meta: ProgramMeta;
}

interface TensorRef {
  dtype: DType;
  dims: number[];
  /** float32: offset and length in the data section; others: the values */
  at?: number;
  values?: number[];
}

interface Header {
  meta: ProgramMeta;
  name: string;
  nodes: OnnxNode[];
  initializers: [string, TensorRef][];
  inputs: OnnxGraph['inputs'];
  outputs: OnnxGraph['outputs'];
}

const MAGIC = 0x50435341; // "ASCP"

export function packProgram(p: PackedProgram): Uint8Array {
  const chunks: Float32Array[] = [];
  let floats = 0;
  const ref = (t: Tensor): TensorRef => {
    if (t.dtype === 'float32') {
      const at = floats;
      chunks.push(t.data as Float32Array);
      floats += t.data.length;
      return { dtype: t.dtype, dims: t.dims, at };
    }
    return { dtype: t.dtype, dims: t.dims, values: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  };
  const nodes = p.graph.nodes.map((n) => ({
    ...n,
    attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => {
      if (a.type === 'graph') throw new Error(`node "${n.name}" has a sub-graph, which a packed program cannot hold`);
      return [k, a.type === 'tensor' ? { type: 'tensor', value: ref(a.value) } : a];
    })),
  })) as unknown as OnnxNode[];
  const header: Header = {
    meta: p.meta,
    name: p.graph.name,
    nodes,
    initializers: [...p.graph.initializers].map(([k, t]) => [k, ref(t)]),
    inputs: p.graph.inputs,
    outputs: p.graph.outputs,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(8 + headerBytes + floats * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, headerBytes, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  return out;
}

export function unpackProgram(bytes: Uint8Array): PackedProgram {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('not a packed program');
  const headerBytes = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes))) as Header;
  const start = bytes.byteOffset + 8 + headerBytes;
  // the floats are read in place when the buffer is aligned for them, else copied once
  const aligned = start % 4 === 0;
  const data = aligned
    ? new Float32Array(bytes.buffer, start, (bytes.byteLength - 8 - headerBytes) / 4)
    : new Float32Array(bytes.slice(8 + headerBytes).buffer);
  const tensor = (r: TensorRef): Tensor => {
    if (r.at !== undefined) return { dtype: r.dtype, dims: r.dims, data: data.subarray(r.at, r.at + r.dims.reduce((a, b) => a * b, 1)) };
    const t = allocate(r.dtype, r.values!.length);
    if (t instanceof BigInt64Array || t instanceof BigUint64Array) r.values!.forEach((v, i) => { t[i] = BigInt(v); });
    else (t as Float32Array).set(r.values!);
    return { dtype: r.dtype, dims: r.dims, data: t };
  };
  const nodes = header.nodes.map((n) => ({
    ...n,
    attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => [k, a.type === 'tensor' ? { type: 'tensor', value: tensor(a.value as unknown as TensorRef) } as Attr : a])),
  }));
  return {
    meta: header.meta,
    graph: {
      name: header.name,
      nodes,
      initializers: new Map(header.initializers.map(([k, r]) => [k, tensor(r)])),
      inputs: header.inputs,
      outputs: header.outputs,
      valueInfo: [],
    },
  };
}
