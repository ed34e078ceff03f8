/**
 * The planner: a compiled gradient program (its ONNX nodes, as the compiler wrote them) lowered, for a batch
 * size, to a flat list of kernel instructions over one memory arena planned once. It differentiates nothing: each
 * node of the program becomes one instruction (or is fused into its neighbour, or is a view), in program order.
 *
 *   shapes     concrete, from the input shape and the batch (shape arithmetic is evaluated here)
 *   lowering   lower.ts, one rule per op; a node without a rule makes the whole program Unsupported
 *   memory     constants first (the weights, laid out the same for every batch size), then the plan, then the
 *              tensors: each gets a block for the instructions between its first write and its last read, and
 *              blocks are reused when their tensors are dead (first fit); the program's inputs and outputs stay
 *   encoding   abi.ts: [opcode, length, args...] with tensors as byte offsets
 */
import { NAMES, type ProgramMeta } from '../compiler/index.js';
import { lowerNode } from './lower.js';
import { align, Planner, size, Unsupported, type Buf } from './planner.js';
import type { OnnxGraph } from '../onnx/model.js';

export interface KernelPlan {
  /** samples per run of the plan */
  batch: number;
  /** the instructions, to be written at codeOffset */
  code: Int32Array;
  codeOffset: number;
  /** constants to write once (offsets are the same for every batch size of a program): values, or a transposed copy of the constant at `from` ([rows, cols]) */
  constants: ({ key: string; offset: number; data: Float32Array } | { key: string; offset: number; from: number; rows: number; cols: number })[];
  /** first byte after the constants; first byte after everything */
  constantsEnd: number;
  end: number;
  /** the program's tensors the host reads and writes */
  input: number;
  weights: number;
  grad: number;
  logits: number;
  /** 0 when the objective is computed from the logits */
  objective: number;
  sampleSize: number;
  classes: number;
  units: number;
  /** for reports: instructions by opcode name */
  instructions: number;
}

/** The batch a plan runs at: the model's fixed batch, or the request's (at most 16 per run: memory stays small). */
export function planBatch(meta: ProgramMeta, requested: number): number {
  const b = meta.input.shape[0];
  return typeof b === 'number' ? b : Math.max(1, Math.min(16, requested));
}

/**
 * Lowers `graph` (a gradient program pruned to the runner's outputs: grad, logits and, for a tensor target, the
 * objective) for `batch` samples per run, its arena starting at byte `base`. Throws Unsupported (with the reason)
 * for a program the kernel does not cover.
 */
export function planProgram(graph: OnnxGraph, meta: ProgramMeta, batch: number, base: number): KernelPlan {
  const p = new Planner(graph);
  const sampleDims = meta.input.shape.slice(1);
  if (!sampleDims.every((d): d is number => typeof d === 'number')) throw new Unsupported('the input has symbolic dimensions');
  const fixed = meta.input.shape[0];
  if (typeof fixed === 'number' && fixed !== batch) throw new Unsupported(`the model's batch is ${fixed}`);
  const fetched = [meta.outputs.grad, meta.outputs.logits, ...(meta.target.kind === 'tensor' ? [meta.outputs.objective] : [])];
  for (const o of fetched) p.readers.set(o, (p.readers.get(o) ?? 0) + 1);

  for (const [name, t] of graph.initializers) {
    if (t.dtype === 'float32') p.values.set(name, { kind: 'const', shape: t.dims, data: t.data as Float32Array, key: name });
    else if (t.dtype === 'int64' || t.dtype === 'int32' || t.dtype === 'bool' || t.dtype === 'uint8') {
      p.values.set(name, { kind: 'ints', shape: t.dims, values: Array.from(t.data as ArrayLike<number | bigint>, Number) });
    } else throw new Unsupported(`initializer "${name}" has type ${t.dtype}`);
  }
  const input = p.act([batch, ...sampleDims]);
  input.buf.pinned = true;
  p.values.set(meta.input.name, input);
  const weights = p.act([batch, meta.units]);
  weights.buf.pinned = true;
  p.values.set(NAMES.weights, weights);

  for (const n of graph.nodes) {
    if (p.fused.has(n)) continue;
    if (n.domain && n.domain !== 'ai.onnx') throw new Unsupported(`op ${n.domain}::${n.opType}`);
    lowerNode(p, n);
  }

  const out = (name: string, what: string) => {
    const v = p.value(name);
    if (v.kind !== 'act') throw new Unsupported(`the ${what} is not computed by the program`);
    v.buf.pinned = true;
    return v;
  };
  const grad = out(meta.outputs.grad, 'gradient');
  const logits = out(meta.outputs.logits, 'logits');
  const objective = meta.target.kind === 'tensor' ? out(meta.outputs.objective, 'objective') : undefined;
  if (size(grad.shape) !== batch * size(sampleDims)) throw new Unsupported('the gradient does not have the input\'s shape');
  if (size(logits.shape) !== batch * meta.classes) throw new Unsupported(`the logits are not [${batch}, ${meta.classes}]`);

  // memory: constants, then the plan, then the tensors
  let at = align(base);
  const constants: KernelPlan['constants'] = [];
  for (const c of p.consts.values()) {
    c.offset = at;
    const t = c.transposeOf;
    constants.push(t ? { key: c.key, offset: at, from: t.of.offset, rows: t.rows, cols: t.cols } : { key: c.key, offset: at, data: c.data! });
    at += align(c.length * 4);
  }
  const constantsEnd = at;
  const words = p.instrs.reduce((a, i) => a + 2 + i.args.length, 0);
  const codeOffset = at;
  at += align(words * 4);
  const end = allocate(p.bufs, p.instrs.length, at);

  const code = new Int32Array(words);
  let w = 0;
  for (const ins of p.instrs) {
    code[w++] = ins.op;
    code[w++] = 2 + ins.args.length;
    for (const a of ins.args) code[w++] = typeof a === 'number' ? a : 'buf' in a ? a.buf.offset : a.con.offset;
  }
  return {
    batch, code, codeOffset, constants, constantsEnd, end,
    input: input.buf.offset, weights: weights.buf.offset, grad: grad.buf.offset, logits: logits.buf.offset,
    objective: objective ? objective.buf.offset : 0,
    sampleSize: size(sampleDims), classes: meta.classes, units: meta.units, instructions: p.instrs.length,
  };
}

/**
 * Offsets for every block from `start` on: a block lives from its first write to its last read (pinned: always);
 * a dead block's space is reused (first fit over free ranges, merged when adjacent). Returns the end.
 */
function allocate(bufs: Buf[], count: number, start: number): number {
  let end = start;
  const free: { offset: number; bytes: number }[] = [];
  const take = (bytes: number): number => {
    for (let i = 0; i < free.length; i++) {
      const f = free[i]!;
      if (f.bytes < bytes) continue;
      const offset = f.offset;
      if (f.bytes === bytes) free.splice(i, 1);
      else free[i] = { offset: f.offset + bytes, bytes: f.bytes - bytes };
      return offset;
    }
    const offset = end;
    end += bytes;
    return offset;
  };
  const give = (offset: number, bytes: number) => {
    free.push({ offset, bytes });
    free.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i + 1 < free.length; i++) {
      const a = free[i]!;
      const b = free[i + 1]!;
      if (a.offset + a.bytes === b.offset) {
        free.splice(i, 2, { offset: a.offset, bytes: a.bytes + b.bytes });
        i--;
      }
    }
  };
  const used = bufs.filter((b) => b.first <= b.last);
  for (const b of used.filter((x) => x.pinned)) b.offset = take(b.bytes);
  const byFirst = used.filter((x) => !x.pinned).sort((a, b) => a.first - b.first || a.id - b.id);
  let next = 0;
  for (let i = 0; i <= count; i++) {
    // blocks written by instruction i get space before the blocks it reads for the last time give theirs back
    while (next < byFirst.length && byFirst[next]!.first === i) {
      const b = byFirst[next++]!;
      b.offset = take(b.bytes);
    }
    for (const b of byFirst) if (b.last === i && b.offset >= 0) give(b.offset, b.bytes);
  }
  for (const b of bufs) if (b.offset < 0) b.offset = start; // never read or written: any valid address
  return end;
}
