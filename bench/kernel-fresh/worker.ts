/**
 * A Worker that runs only the kernel: GET /ascend?model=fashion-mlp&batch=1 runs the default 256-step ascent of
 * a built-in model's packed program (one KernelProgram per isolate) and answers the class probability. Bundled
 * by ../kernel-fresh.ts into a standalone workerd, to measure what a fresh isolate's first ascent costs.
 */
import kernelModule from './kernel.wasm';
import otherModule from './other.wasm';
import mlp from './fashion-mlp.bin';
import cnn from './fashion-cnn.bin';
import { KernelProgram, type KernelExports } from '../../functions/kernel/executor.js';
import { unpackProgram } from '../../functions/kernel/pack.js';
import { NO_REGULARIZATION } from '../../functions/engine/regularizers.js';
import { rng } from '../../functions/engine/prng.js';
import type { AscentSpec } from '../../functions/engine/ascent.js';

const programs = new Map<string, Promise<KernelProgram>>();
const instantiateModule = async (m: WebAssembly.Module) => (await WebAssembly.instantiate(m, {})).exports as unknown as KernelExports;
const instantiate = () => instantiateModule(kernelModule);

function spec(batch: number, size: number, classes: number, steps: number): AscentSpec {
  const random = rng(0);
  const weights = new Float32Array(batch * classes);
  for (let s = 0; s < batch; s++) weights[s * classes + 7] = 1;
  return {
    layout: { height: 28, width: 28, channels: 1, channelsLast: false },
    grid: { min: 0, max: 1 },
    constraints: { min: 0, max: 1, eps: 0, norm: 'linf' },
    optimizer: 'adam',
    lr: 0.05,
    steps,
    regularization: NO_REGULARIZATION,
    starts: Float32Array.from({ length: batch * size }, () => Math.min(1, Math.max(0, 0.5 + random.normal() / 6))),
    batch,
    weights,
    traceClass: Array(batch).fill(7),
    seed: 0,
  };
}

/**
 * GET /products?shape=l2|l1&reps=N: N times the two products of a batch-1 step of fashion-mlp's first layer
 * (forward x[784] . W[784,128], backward g[128] . W^T) in 14 slices of 56 rows each: the 14 slices of W (401 KB,
 * read from L2, as in the ascent) or 14 times its first slice (28 KB, from L1), the same FLOPs and calls: what
 * reading the weights once per step instead of twice could save at most. The caller times it from outside.
 */
async function products(shape: string, reps: number): Promise<Response> {
  const k = (await WebAssembly.instantiate(kernelModule, {})).exports as unknown as KernelExports & {
    gemmNN(M: number, K: number, N: number, A: number, B: number, Y: number): void;
    gemmNT(M: number, K: number, N: number, A: number, B: number, Y: number, mask: number): void;
  };
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const W = base, x = W + 784 * 128 * 4, g = x + 784 * 4, h = g + 128 * 4, gx = h + 128 * 4, end = gx + 784 * 4;
  if (end > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((end - k.memory.buffer.byteLength) / 65536));
  const f = new Float32Array(k.memory.buffer);
  for (let i = W / 4; i < end / 4; i++) f[i] = Math.sin(i) * 0.1 + 0.2;
  // 14 products of 56 rows each way: on the 14 slices of W (all of it, from L2) or 14 times on its first slice
  for (let r = 0; r < reps; r++) {
    for (let t = 0; t < 14; t++) {
      const w = W + (shape === 'l1' ? 0 : t * 56 * 128 * 4);
      k.gemmNN(1, 56, 128, x + t * 56 * 4, w, h);
      k.gemmNT(1, 128, 56, g, w, gx + t * 56 * 4, 0);
    }
  }
  return Response.json({ shape, reps, h0: f[h / 4] });
}

export default {
  async fetch(request: Request): Promise<Response> {
    // the driver's probe for a started workerd: no kernel work
    if (request.method === 'HEAD') return new Response(null);
    const url = new URL(request.url);
    if (url.pathname === '/products') return products(url.searchParams.get('shape') ?? 'l2', Number(url.searchParams.get('reps') ?? 1000));
    const model = url.searchParams.get('model') ?? 'fashion-mlp';
    const batch = Number(url.searchParams.get('batch') ?? 1);
    if (url.searchParams.get('create') === 'instance') {
      await instantiate();
      return new Response('instantiated');
    }
    if (url.searchParams.get('create') === 'unpack') {
      unpackProgram(new Uint8Array(model === 'fashion-cnn' ? cnn : mlp));
      return new Response('unpacked');
    }
    const t0 = performance.now();
    // ?kernel=other: the second kernel build (an A/B comparison of two builds in one isolate)
    const other = url.searchParams.get('kernel') === 'other';
    let p = programs.get(`${model}${other ? ' other' : ''}`);
    if (!p) {
      const packed = unpackProgram(new Uint8Array(model === 'fashion-cnn' ? cnn : mlp));
      p = KernelProgram.create(other ? () => instantiateModule(otherModule) : instantiate, packed.graph, packed.meta);
      programs.set(`${model}${other ? ' other' : ''}`, p);
    }
    const k = await p;
    if (url.searchParams.has('create')) return new Response('created');
    const t1 = performance.now();
    const r = await k.ascend(spec(batch, k.sampleSize, k.classes, Number(url.searchParams.get('steps') ?? 256)));
    const t2 = performance.now();
    const x = new Uint8Array(r.levels.buffer, r.levels.byteOffset, r.levels.byteLength);
    let h = 0;
    for (const b of x) h = (Math.imul(h, 31) + b) | 0;
    // wall ms of the program's creation and of the ascent (local workerd's clock advances during CPU work)
    const timing = `create ${(t1 - t0).toFixed(1)} ascend ${(t2 - t1).toFixed(1)}`;
    return Response.json({ probability: r.probabilities[7], levelsHash: h >>> 0 }, { headers: { 'x-timing': timing } });
  },
};
