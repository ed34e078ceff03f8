/**
 * The floor: the least CPU time 256 gradient steps can take on this machine, counting only the matrix
 * products. Counted exactly, per sample and step, from the layer shapes in the ONNX graph:
 *   forward   dense  [1, in] x [in, out]                           2*in*out FLOPs
 *             conv   im2col: [Hout*Wout, Cin*k*k] x [Cin*k*k, Cout] 2*Cout*Cin*k*k*Hout*Wout FLOPs
 *   backward  the input gradient only (the weights need none): dense [1, out] x [out, in], conv
 *             [Hout*Wout, Cout] x [Cout, Cin*k*k] (then col2im): the same FLOPs as the forward, so 2x forward
 *             in all (training's weight gradients, which would make it 3x, are not needed here).
 * Not counted: bias, ReLU, max-pool, batch norm, softmax, im2col/col2im copies, the optimizer.
 * Two floors: the time of exactly these products at their shapes, measured one thread (bench/floor.py: the
 * fastest of numpy, torch.mm and torch's oneDNN per shape), and the FLOPs at the peak rate (the best rate seen,
 * on a 512x512x512 product or any of the step's products: what perfectly efficient kernels would need). At
 * batch 1 every dense product is a matrix-vector product that reads the whole weight matrix for 2 FLOPs per
 * weight: bound by memory bandwidth, far from the peak rate.
 */
import { existsSync } from 'node:fs';
import { decodeModel, attr } from '../functions/onnx/model.js';
import { builtinModel, ROOT, type BuiltinId } from './models.js';
import { PYTHON } from './peers.js';
import { runChild } from './child.js';
import { STEPS } from './node-engine.js';

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
  /** ms: the products at their shapes, measured */
  sameShapeMs: number;
  /** ms: the FLOPs at the peak rate */
  peakMs: number;
  /** the implementation that was fastest for the largest product */
  lib: string;
}

export interface FloorResult {
  rows: FloorRow[];
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
  const perModel = new Map(models.map((id) => [id, products(id)] as const));
  const key = (s: number[]) => s.join('x');
  const shapes = new Map<string, number[]>();
  for (const ps of perModel.values()) {
    for (const p of ps) for (const b of batches) shapes.set(key([b * p.rowsPerSample, p.k, p.n]), [b * p.rowsPerSample, p.k, p.n]);
  }
  if (!existsSync(PYTHON)) return { rows: [], error: 'not installed', peakGflops: NaN, peakLib: '', blas: '', shapes: [] };
  const py = JSON.parse((await runChild(PYTHON, [`${ROOT}bench/floor.py`], { input: JSON.stringify({ shapes: [...shapes.values()] }), timeoutMs: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } })).stdout.trim().split('\n').pop()!) as PyFloor;
  if (py.error) return { rows: [], error: py.error, peakGflops: NaN, peakLib: '', blas: '', shapes: [] };
  const seconds = new Map(py.results.map((r) => [key(r.shape), r] as const));
  // peak: the best rate seen, on the large square product or on any of the step's own products
  const rates: [string, number][] = [
    ...Object.entries(py.peakGflops),
    ...py.results.map((r) => [r.lib, (2 * r.shape[0] * r.shape[1] * r.shape[2]) / r.seconds / 1e9] as [string, number]),
  ];
  const [peakLib, peak] = rates.sort((a, b) => b[1] - a[1])[0]!;
  const rows: FloorRow[] = [];
  for (const [id, ps] of perModel) {
    const forwardFlops = ps.filter((p) => p.pass === 'forward').reduce((a, p) => a + 2 * p.rowsPerSample * p.k * p.n, 0);
    for (const b of batches) {
      let step = 0;
      let largest = { flops: 0, lib: '' };
      for (const p of ps) {
        const r = seconds.get(key([b * p.rowsPerSample, p.k, p.n]))!;
        step += r.seconds;
        const f = 2 * b * p.rowsPerSample * p.k * p.n;
        if (f > largest.flops) largest = { flops: f, lib: r.lib };
      }
      const totalFlops = STEPS * b * 2 * forwardFlops;
      rows.push({ model: id, batch: b, forwardFlops, totalFlops, sameShapeMs: STEPS * step * 1000, peakMs: (totalFlops / (peak * 1e9)) * 1000, lib: largest.lib });
    }
  }
  return {
    rows,
    peakGflops: peak,
    peakLib,
    blas: py.blas ?? '',
    numpy: py.numpy,
    torch: py.torch ?? null,
    shapes: py.results.map((r) => ({ shape: r.shape, lib: r.lib, gflops: (2 * r.shape[0] * r.shape[1] * r.shape[2]) / r.seconds / 1e9 })),
  };
}
