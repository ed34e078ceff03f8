/**
 * Attribution in Node for the tests: runners for a model (bytes), test images of the shipped samples, Spearman
 * rank correlation, and models with a layer re-initialized (Adebayo et al. 2018's sanity checks).
 */
import { readFileSync } from 'node:fs';
import { attribute, type Attribution, type MethodParameters } from '../../../functions/attribution/index.js';
import { compileGradient, encodeProgram, lastConvolution, programMeta } from '../../../functions/compiler/index.js';
import { createRunner, runnerOutputs, type GradientRunner } from '../../../functions/engine/runner.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { fileSamples } from '../../../functions/hosts/node/registry.js';
import { decodeModel, encodeModel } from '../../../functions/onnx/model.js';
import { floats } from '../../../functions/onnx/tensor.js';
import { MODELS_DIR } from '../models/paths.js';
import { Rng } from './random.js';

export const LAYOUT = { height: 28, width: 28, channels: 1, channelsLast: false } as const;
export const RANGE = { min: 0, max: 1 } as const;
export const DEFAULTS: Omit<MethodParameters, 'method'> = { n: 50, sigma: 0.15, steps: 256, baseline: 'black', seed: 0 };

export const modelBytes = (id: string) => new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`));

/** A runner for the input gradient (target logit unless given), or for Grad-CAM on the default layer. */
export async function runnerFor(bytes: Uint8Array, kind: 'input' | 'gradcam' = 'input', target = 'logit'): Promise<GradientRunner> {
  const ort = await loadOrt();
  const wrt = kind === 'gradcam' ? [lastConvolution(bytes)!] : undefined;
  const program = compileGradient(bytes, { target, ...(wrt ? { wrt } : {}) });
  const meta = programMeta(program);
  const options = { inputGradient: kind === 'input' };
  return createRunner(ort, encodeProgram(program, runnerOutputs(meta, options)), meta, options);
}

/** Test image `index` of the shipped samples in [0, 1], with its label. */
export function testImage(index: number): { x: Float32Array; label: number; pixels: Uint8Array } {
  const s = fileSamples();
  const pixels = s.pixels.subarray(index * 784, (index + 1) * 784);
  return { x: Float32Array.from(pixels, (v) => v / 255), label: s.labels[index]!, pixels };
}

/** The first test image of each class (the samples hold 100 per class, in class order). */
export const TEN_IMAGES = Array.from({ length: 10 }, (_, k) => k * 100);

export const oneHot = (k: number, classes = 10) => {
  const w = new Float32Array(classes);
  w[k] = 1;
  return w;
};

export function explain(runner: GradientRunner, x: Float32Array, k: number, p: Partial<MethodParameters> & Pick<MethodParameters, 'method'>): Promise<Attribution> {
  return attribute(runner, { layout: LAYOUT, range: RANGE, x, weights: oneHot(k, runner.classes) }, { ...DEFAULTS, ...p });
}

/** Ranks with ties averaged (1-based). */
function ranks(v: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation: Pearson's correlation of the (tie-averaged) ranks. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - mean) * (rb[i]! - mean);
    saa += (ra[i]! - mean) ** 2;
    sbb += (rb[i]! - mean) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

export const abs = (v: Float32Array) => Float32Array.from(v, Math.abs);

/**
 * The model with the named layers re-initialized as Keras initializes a fresh layer: kernel Glorot-uniform
 * (limit sqrt(6 / (fan_in + fan_out))), bias zero; seeded. Kernels are [in, out] (Dense, as exported) or
 * [out, in, kh, kw] (Conv).
 */
export function randomized(bytes: Uint8Array, layers: { kernel: string; bias: string }[], seed: number): Uint8Array {
  const m = decodeModel(bytes);
  const rng = new Rng(seed);
  for (const { kernel, bias } of layers) {
    const k = m.graph.initializers.get(kernel);
    const b = m.graph.initializers.get(bias);
    if (!k || !b) throw new Error(`no initializer ${kernel} or ${bias}`);
    const receptive = k.dims.length === 4 ? k.dims[2]! * k.dims[3]! : 1;
    const [fanIn, fanOut] = k.dims.length === 4 ? [k.dims[1]! * receptive, k.dims[0]! * receptive] : [k.dims[0]!, k.dims[1]!];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    m.graph.initializers.set(kernel, floats(k.dims, rng.floats(k.data.length, -limit, limit)));
    m.graph.initializers.set(bias, floats(b.dims, new Float32Array(b.data.length)));
  }
  return encodeModel(m);
}
