/**
 * Runs the peers in child processes and reads their JSON: the tfjs loop (one process per tfjs backend) and the
 * PyTorch loop (Debian's python3-torch through /usr/bin/python3). Also computes the reference the peers check
 * their weights against: onnxruntime's logits of a test image, from Ascent's gradient program.
 */
import { existsSync } from 'node:fs';
import { compileGradient, encodeProgram, programMeta } from '../functions/compiler/index.js';
import { createRunner } from '../functions/engine/runner.js';
import { loadOrt } from '../functions/hosts/node/ort.js';
import { runChild } from './child.js';
import { builtinModel, testImage, ROOT, type BuiltinId } from './models.js';
import type { TfjsArgs, TfjsResult } from './tfjs-loop.js';
import type { Timing } from './stats.js';
import { defaultStarts, WARMUP, WARMUP_QUICK } from './node-engine.js';

export const PYTHON = '/usr/bin/python3';

export interface Reference {
  pixels: number[];
  logits: number[];
}

/** onnxruntime's logits for test image 0 (what the peers' rebuilt networks must reproduce). */
export async function referenceLogits(id: BuiltinId): Promise<Reference> {
  const ort = await loadOrt();
  const m = builtinModel(id);
  const program = compileGradient(m.bytes, { input: m.input!, output: m.output! });
  const runner = await createRunner(ort, encodeProgram(program), programMeta(program));
  try {
    const { pixels } = testImage(0);
    const w = new Float32Array(runner.meta.units);
    const out = await runner.run(pixels, 1, w);
    const logits = Array.from(out.logits.subarray(0, runner.classes));
    if (logits.every((v) => v === 0) || !logits.every(Number.isFinite)) {
      throw new Error(`${id}: the runner returned logits ${JSON.stringify(logits)} for a test image: its outputs are not filled`);
    }
    return { pixels: Array.from(pixels), logits };
  } finally {
    await runner.release();
  }
}

const lastJsonLine = (out: string) => JSON.parse(out.trim().split('\n').pop() ?? '{}') as unknown;

export async function tfjsPeer(args: TfjsArgs, timeoutMs: number): Promise<TfjsResult> {
  const { stdout: out } = await runChild(process.execPath, ['--import', 'tsx', `${ROOT}bench/tfjs-loop.ts`, JSON.stringify(args)], { timeoutMs });
  return lastJsonLine(out) as TfjsResult;
}

export interface TorchRow {
  model: BuiltinId;
  batch: number;
  requests: Timing[];
  probability: number;
  logitError: number;
  skipped?: string;
}

export interface TorchResult {
  /** "not installed" when python3-torch (or onnx, numpy) is missing */
  error?: string;
  detail?: string;
  torch?: string;
  numpy?: string;
  onnx?: string;
  threads?: number;
  rows: TorchRow[];
}

export async function torchPeer(opts: { models: BuiltinId[]; batches: number[]; quick: boolean; steps: number; lr: number; cls: number; reference: Record<string, Reference> },
  timeoutMs: number): Promise<TorchResult> {
  if (!existsSync(PYTHON)) return { error: 'not installed', detail: `${PYTHON} is missing`, rows: [] };
  const request = {
    models: opts.models.map((id) => ({ id, onnx: builtinModel(id).path, ...opts.reference[id] })),
    batches: opts.batches,
    quick: opts.quick,
    steps: opts.steps,
    lr: opts.lr,
    cls: opts.cls,
    starts: Array.from(defaultStarts(Math.max(...opts.batches))),
    warmup: opts.quick ? WARMUP_QUICK : WARMUP,
  };
  // one thread for the BLAS libraries too
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const { stdout: out } = await runChild(PYTHON, [`${ROOT}bench/torch_loop.py`], { input: JSON.stringify(request), timeoutMs, env });
  const result = lastJsonLine(out) as TorchResult;
  result.rows ??= [];
  return result;
}
