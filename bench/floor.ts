/**
 * The arithmetic floor: the least CPU time 256 gradient steps can take on this machine, counting only the
 * matrix products at the best rate one core reaches in WebAssembly SIMD. Counted exactly, per sample and step,
 * from the layer shapes in the ONNX graph:
 *   forward   dense  [1, in] x [in, out]                           2*in*out FLOPs
 *             conv   im2col: [Hout*Wout, Cin*k*k] x [Cin*k*k, Cout] 2*Cout*Cin*k*k*Hout*Wout FLOPs
 *   backward  the input gradient only (the weights need none): dense [1, out] x [out, in], conv
 *             [Hout*Wout, Cout] x [Cout, Cin*k*k] (then col2im): the same FLOPs as the forward, so 2x forward
 *             in all (training's weight gradients, which would make it 3x, are not needed here).
 * Not counted: bias, ReLU, max-pool, batch norm, softmax, im2col/col2im copies, the optimizer.
 * The rate: Ascent's kernel's own matrix product on 512 x 512 x 512 (kernel-engine.ts), in this run. No call
 * overhead, no memory traffic beyond what the large product needs: at batch 1 the dense products are
 * matrix-vector products bound by memory bandwidth, so the floor is out of reach there by construction.
 *
 * Also measured, for reference (bench/floor.py): each product at its own shape through numpy, torch.mm and
 * torch's oneDNN, one call per product (the fastest per shape, their call overhead half subtracted): what a
 * library-per-product implementation would cost.
 */
import { existsSync } from 'node:fs';
import { decodeModel, attr } from '../functions/onnx/model.js';
import { builtinModel, ROOT, type BuiltinId } from './models.js';
import { PYTHON } from './peers.js';
import { runChild } from './child.js';
import { STEPS } from './node-engine.js';
import { kernelGemmRate } from './kernel-engine.js';

/** A matrix product [M, K] x [K, N] per sample: M rows per sample (1 for dense, Hout*Wout for conv). */
interface Product {
  layer: string;
  pass: 'forward' | 'backward';
  rowsPerSample: number;
  k: number;
  n: number;
}

export interface FloorRow {
  model: BuiltinId;
  batch: number;
  /** matrix FLOPs of one forward pass per sample */
  forwardFlops: number;
  /** FLOPs of 256 steps (forward + input backward) for the whole batch */
  totalFlops: number;
  /** ms: the products at their shapes, one library call each (numpy/torch), measured; NaN without Python */
  sameShapeMs: number;
  /** ms: the FLOPs at the kernel's large-product rate: the arithmetic floor */
  arithmeticMs: number;
  /** the implementation that was fastest for the largest product */
  lib: string;
}

export interface FloorResult {
  rows: FloorRow[];
  /** GFLOP/s of the kernel's 512 x 512 x 512 product, one thread */
  wasmGflops: number;
  /** why the numpy/torch reference was not measured */
  error?: string;
  peakGflops: number;
  peakLib: string;
  blas: string;
  numpy?: string;
  torch?: string | null;
  /** per distinct shape: [M, K, N], fastest implementation, GFLOP/s */
  shapes: { shape: number[]; lib: string; gflops: number }[];
}

/** The products of one gradient step of a Fashion-MNIST model (MatMul with constant weights; Conv on the image). */
export function products(id: BuiltinId): Product[] {
  const m = decodeModel(builtinModel(id).bytes);
  const g = m.graph;
  const input = g.inputs[0]?.shape;
  const out: Product[] = [];
  for (const node of g.nodes) {
    if (node.opType === 'MatMul') {
      const w = g.initializers.get(node.inputs[1] ?? '');
      if (!w || w.dims.length !== 2) throw new Error(`${id}: MatMul ${node.name} without a constant 2-D weight`);
      const [k, n] = w.dims as [number, number];
      out.push({ layer: node.name, pass: 'forward', rowsPerSample: 1, k, n });
      out.push({ layer: node.name, pass: 'backward', rowsPerSample: 1, k: n, n: k });
    } else if (node.opType === 'Conv') {
      const w = g.initializers.get(node.inputs[1] ?? '');
      if (!w || w.dims.length !== 4 || !input) throw new Error(`${id}: Conv ${node.name} without a constant 4-D weight`);
      const [cout, cin, kh, kw] = w.dims as [number, number, number, number];
      const [h, wd] = input.slice(-2) as [number, number];
      const pads = attr.ints(node, 'pads') ?? [0, 0, 0, 0];
      const strides = attr.ints(node, 'strides') ?? [1, 1];
      const dil = attr.ints(node, 'dilations') ?? [1, 1];
      const hout = Math.floor((h + pads[0]! + pads[2]! - dil[0]! * (kh - 1) - 1) / strides[0]!) + 1;
      const wout = Math.floor((wd + pads[1]! + pads[3]! - dil[1]! * (kw - 1) - 1) / strides[1]!) + 1;
      out.push({ layer: node.name, pass: 'forward', rowsPerSample: hout * wout, k: cin * kh * kw, n: cout });
      out.push({ layer: node.name, pass: 'backward', rowsPerSample: hout * wout, k: cout, n: cin * kh * kw });
    }
  }
  return out;
}

interface PyFloor {
  error?: string;
  numpy?: string;
  torch?: string | null;
  blas?: string;
  results: { shape: [number, number, number]; lib: string; seconds: number }[];
  peakGflops: Record<string, number>;
}

export async function floor(models: BuiltinId[], batches: number[]): Promise<FloorResult> {
  const wasmGflops = await kernelGemmRate();
  const perModel = new Map(models.map((id) => [id, products(id)] as const));
  const key = (s: number[]) => s.join('x');
  const shapes = new Map<string, number[]>();
  for (const ps of perModel.values()) {
    for (const p of ps) for (const b of batches) shapes.set(key([b * p.rowsPerSample, p.k, p.n]), [b * p.rowsPerSample, p.k, p.n]);
  }
  let py: PyFloor | undefined;
  let error: string | undefined;
  if (!existsSync(PYTHON)) error = 'not installed';
  else {
    py = JSON.parse((await runChild(PYTHON, [`${ROOT}bench/floor.py`], { input: JSON.stringify({ shapes: [...shapes.values()] }), timeoutMs: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } })).stdout.trim().split('\n').pop()!) as PyFloor;
    if (py.error) {
      error = py.error;
      py = undefined;
    }
  }
  const seconds = new Map((py?.results ?? []).map((r) => [key(r.shape), r] as const));
  const rows: FloorRow[] = [];
  for (const [id, ps] of perModel) {
    const forwardFlops = ps.filter((p) => p.pass === 'forward').reduce((a, p) => a + 2 * p.rowsPerSample * p.k * p.n, 0);
    for (const b of batches) {
      let step = py ? 0 : NaN;
      let largest = { flops: 0, lib: '' };
      for (const p of ps) {
        const r = seconds.get(key([b * p.rowsPerSample, p.k, p.n]));
        if (r) step += r.seconds;
        const f = 2 * b * p.rowsPerSample * p.k * p.n;
        if (r && f > largest.flops) largest = { flops: f, lib: r.lib };
      }
      const totalFlops = STEPS * b * 2 * forwardFlops;
      rows.push({ model: id, batch: b, forwardFlops, totalFlops, sameShapeMs: STEPS * step * 1000, arithmeticMs: (totalFlops / (wasmGflops * 1e9)) * 1000, lib: largest.lib });
    }
  }
  const rates: [string, number][] = py ? [
    ...Object.entries(py.peakGflops),
    ...py.results.map((r) => [r.lib, (2 * r.shape[0] * r.shape[1] * r.shape[2]) / r.seconds / 1e9] as [string, number]),
  ] : [];
  const [peakLib, peak] = rates.sort((a, b) => b[1] - a[1])[0] ?? ['', NaN];
  return {
    rows,
    wasmGflops,
    ...(error ? { error } : {}),
    peakGflops: peak,
    peakLib,
    blas: py?.blas ?? '',
    numpy: py?.numpy,
    torch: py?.torch ?? null,
    shapes: (py?.results ?? []).map((r) => ({ shape: r.shape, lib: r.lib, gflops: (2 * r.shape[0] * r.shape[1] * r.shape[2]) / r.seconds / 1e9 })),
  };
}
