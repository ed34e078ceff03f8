/**
 * Planning state shared by the planner (plan.ts) and the lowering rules (lower.ts): the tensors as planned so far,
 * the instructions emitted, the arena blocks and constants, and Unsupported for what the kernel cannot run.
 */
import type { OnnxGraph, OnnxNode } from '../onnx/model.js';

/** memory blocks are aligned to a cache line */
const ALIGN = 64;
export const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** A tensor's storage in the arena: shared by the tensor and its views. */
export interface Buf {
  id: number;
  bytes: number;
  /** instruction indices of its first write and last read */
  first: number;
  last: number;
  /** kept for the whole run (the program's inputs and outputs) */
  pinned: boolean;
  offset: number;
}

/** A float constant placed in the arena (weights, biases, plan-time transposes). */
export interface Const {
  key: string;
  /** its values; undefined for a transposed copy of another constant, which the kernel writes (`transposeOf`) */
  data: Float32Array | undefined;
  /** elements */
  length: number;
  /** `of`, a [rows, cols] matrix, stored [cols, rows]: copied by the kernel once the other constants are written */
  transposeOf?: { of: Const; rows: number; cols: number };
  offset: number;
}

export type Arg = number | { buf: Buf } | { con: Const };

export interface Instr {
  op: number;
  args: Arg[];
}

/** What a tensor of the program is during planning. */
export type Value =
  /** f32 tensor in the arena */
  | { kind: 'act'; shape: number[]; buf: Buf }
  /** f32 constant (placed in the arena when an instruction reads it) */
  | { kind: 'const'; shape: number[]; data: Float32Array; key: string }
  /** integer constant (shapes, axes), and booleans */
  | { kind: 'ints'; shape: number[]; values: number[] }
  /** max-pooling arg-max (i32 in the arena) */
  | { kind: 'indices'; shape: number[]; buf: Buf }
  /** Greater(T, c) waiting for its Where */
  | { kind: 'greater'; shape: number[]; t: Value; c: number };

export class Unsupported extends Error {
  override name = 'Unsupported';
}

/** Planning state handed to the lowering rules. */
export class Planner {
  readonly values = new Map<string, Value>();
  readonly instrs: Instr[] = [];
  readonly bufs: Buf[] = [];
  readonly consts = new Map<string, Const>();
  /** how many node inputs and fetched outputs read each tensor */
  readonly readers = new Map<string, number>();
  /** nodes already lowered as part of a neighbour (fusion) */
  readonly fused = new Set<OnnxNode>();
  /** producer node of each tensor */
  readonly producer = new Map<string, OnnxNode>();
  /** consumer nodes of each tensor */
  readonly consumers = new Map<string, OnnxNode[]>();
  /** batch normalizations left to the matrix product reading their output: tensor read -> scale and shift */
  readonly foldedNorm = new Map<string, { scale: Float32Array; shift: Float32Array; key: string }>();
  /**
   * blocks whose tensors are zero in most elements by construction: ReLU outputs, ReLU-masked gradients, their
   * max-pooling (views share the block). A product reading one skips its zero entries (see lower.ts, product).
   */
  readonly zeroRich = new Set<Buf>();

  constructor(readonly graph: OnnxGraph) {
    for (const n of graph.nodes) {
      for (const o of n.outputs) this.producer.set(o, n);
      for (const i of n.inputs) {
        if (!i) continue;
        this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
        const list = this.consumers.get(i) ?? [];
        list.push(n);
        this.consumers.set(i, list);
      }
    }
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new Unsupported(`tensor "${name}" is not computed before it is used`);
    return v;
  }

  /** a fresh arena block for a tensor of `elements` 4-byte values, written by the next instruction */
  buf(elements: number): Buf {
    const b: Buf = { id: this.bufs.length, bytes: align(Math.max(1, elements) * 4), first: this.instrs.length, last: this.instrs.length, pinned: false, offset: -1 };
    this.bufs.push(b);
    return b;
  }

  act(shape: number[]): Value & { kind: 'act' } {
    return { kind: 'act', shape, buf: this.buf(size(shape)) };
  }

  /** a constant as an instruction argument (placed in the arena once, shared by key) */
  con(key: string, data: Float32Array): { con: Const } {
    let c = this.consts.get(key);
    if (!c) {
      c = { key, data, length: data.length, offset: -1 };
      this.consts.set(key, c);
    }
    return { con: c };
  }

  /**
   * The constant `source` ([rows, cols]) stored [cols, rows], placed after it. The kernel transposes it in memory
   * when the constants are written: in JavaScript a large copy costs a fresh isolate milliseconds, per plan.
   */
  conTransposed(source: { key: string; data: Float32Array }, rows: number, cols: number): { con: Const } {
    const key = `${source.key}^T`;
    let c = this.consts.get(key);
    if (!c) {
      const of = this.con(source.key, source.data).con;
      c = { key, data: undefined, length: source.data.length, transposeOf: { of, rows, cols }, offset: -1 };
      this.consts.set(key, c);
    }
    return { con: c };
  }

  /** an f32 tensor as an instruction argument, whether it is in the arena or a constant */
  ref(v: Value): { buf: Buf } | { con: Const } {
    if (v.kind === 'act' || v.kind === 'indices') return { buf: v.buf };
    if (v.kind === 'const') return this.con(v.key, v.data);
    throw new Unsupported(`a ${v.kind} tensor cannot be an operand here`);
  }

  emit(op: number, args: Arg[]): void {
    const at = this.instrs.length;
    for (const a of args) {
      if (typeof a === 'object' && 'buf' in a) {
        if (a.buf.first > at) a.buf.first = at;
        if (a.buf.last < at) a.buf.last = at;
      }
    }
    this.instrs.push({ op, args });
  }

  /** the only node reading `tensor`, if exactly one does and it is not a fetched output */
  soleConsumer(tensor: string): OnnxNode | undefined {
    if (this.readers.get(tensor) !== 1) return undefined;
    return this.consumers.get(tensor)?.[0];
  }
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
