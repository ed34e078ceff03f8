/**
 * Ascent's engine in Node: the WebAssembly kernel running a built-in model's precompiled program (what the API
 * runs for every program the kernel covers), one `KernelProgram.ascend` per request, timed by this process's
 * CPU clock. Also the arithmetic floor's rate: the kernel's own matrix product on large matrices (512 x 512 x 512,
 * one thread, f32x4), the best rate this machine reaches in wasm SIMD.
 */
import { ascend } from '../functions/engine/ascent.js';
import { KernelProgram } from '../functions/kernel/executor.js';
import { instantiateKernel } from '../functions/hosts/node/kernel.js';
import { builtinProgram } from '../functions/hosts/node/programs.js';
import type { GradientRunner } from '../functions/engine/runner.js';
import type { BuiltinId } from './models.js';
import { WARMUP, WARMUP_QUICK, maximizeSpec } from './node-engine.js';
import { cpuNowMs, median, timed, warmUntilSettled, type Timing } from './stats.js';

export interface KernelRow {
  model: BuiltinId;
  batch: number;
  requests: Timing[];
  warmups: number;
  /** CPU ms of the 257 evaluations of a request (the gradient program alone, one call each) */
  programMs: number;
  probability: number;
}

export async function kernelProgram(model: BuiltinId): Promise<KernelProgram> {
  const packed = builtinProgram(model);
  if (!packed) throw new Error(`no precompiled program for ${model}: npm run build:programs`);
  return KernelProgram.create(instantiateKernel, packed.graph, packed.meta);
}

export async function kernelEngine(model: BuiltinId, batch: number, opts: { quick: boolean }): Promise<KernelRow> {
  const k = await kernelProgram(model);
  const spec = maximizeSpec(batch);
  const warm = await warmUntilSettled(async () => (await timed(() => k.ascend(spec))).cpuMs, opts.quick ? WARMUP_QUICK : WARMUP);
  const reps = opts.quick ? 5 : 15;
  const requests: Timing[] = [];
  let probability = NaN;
  for (let i = 0; i < reps; i++) {
    let r: Awaited<ReturnType<KernelProgram['ascend']>> | undefined;
    requests.push(await timed(async () => {
      r = await k.ascend(spec);
    }));
    probability = spec.traceClass.reduce((a, c, s) => a + r!.probabilities[s * r!.classes + c]!, 0) / batch;
  }
  // the gradient program alone: the same request's 257 evaluations, each one call into the kernel
  const evaluations: number[] = [];
  for (let i = 0; i < Math.ceil(reps / 3); i++) {
    let inside = 0;
    const runner: GradientRunner = {
      meta: k.meta, sampleSize: k.sampleSize, classes: k.classes, fixedBatch: null, exclusive: (w) => w(), release: async () => {},
      run: async (x, n, w) => {
        const c0 = cpuNowMs();
        const out = k.evaluate(x, n, w);
        inside += cpuNowMs() - c0;
        return out;
      },
    };
    await ascend(runner, spec);
    evaluations.push(inside);
  }
  return { model, batch, requests, warmups: warm.length, programMs: median(evaluations), probability };
}

/** GFLOP/s of the kernel's matrix product on 512 x 512 x 512 (best of eight timings of about 0.15 s each). */
export async function kernelGemmRate(): Promise<number> {
  const k = await instantiateKernel();
  const n = 512;
  const bytes = n * n * 4;
  const base = Math.ceil(k.heapBase() / 64) * 64;
  const need = base + 3 * bytes;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  const a = new Float32Array(k.memory.buffer, base, n * n);
  const b = new Float32Array(k.memory.buffer, base + bytes, n * n);
  for (let i = 0; i < n * n; i++) {
    a[i] = Math.sin(i);
    b[i] = Math.cos(i);
  }
  const flop = 2 * n * n * n;
  k.gemm(n, n, n, base, base + bytes, base + 2 * bytes, 1);
  // the best of eight windows spread over about 3 s: a neighbour taking the machine for a second (seen: one run
  // measured 4.9 GFLOP/s against 17-24 in the others) spoils some windows, not all
  let best = 0;
  for (let r = 0; r < 8; r++) {
    if (r > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    const c0 = cpuNowMs();
    let reps = 0;
    while (cpuNowMs() - c0 < 150) {
      k.gemm(n, n, n, base, base + bytes, base + 2 * bytes, 1);
      reps++;
    }
    best = Math.max(best, (reps * flop) / ((cpuNowMs() - c0) / 1000) / 1e9);
  }
  return best;
}
