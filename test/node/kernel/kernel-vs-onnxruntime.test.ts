/**
 * The kernel is a second executor of the compiler's gradient programs, and onnxruntime is its reference: for
 * both built-in models and every corpus model the kernel covers, an ascent runs on onnxruntime (the engine as
 * before: one `session.run` per step), and at every step's input the kernel's gradient, objective and logits
 * equal onnxruntime's within 1e-5 relative: max |kernel - onnxruntime| / max |onnxruntime| per output. Two
 * scales are the float32 conditioning of the quantity rather than the size of the result:
 *   - the objective of a class target is a weighted sum of logits, as exact as they are: its error is taken
 *     relative to max(|objective|, |logits|) (a class whose logit is near 0 has no relative precision);
 *   - the logprob and prob gradients start from w - p: once the class probability passes 0.99, 1 - p is a few
 *     float32 steps below 1 in both engines and they agree only to that resolution; those steps run unchecked.
 * And the gradient is piecewise: where onnxruntime's forward pass is within rounding of a kink (a ReLU input
 * within 2e-6 of 0, relative to its layer, or a max-pooling window whose two largest values are that close),
 * the two engines may take different sides of it. Such steps are detected from onnxruntime's own intermediate
 * tensors: a difference there is excused and counted; most steps are compared (asserted). The composed programs
 * of a prior (z -> G -> classifier, compiler/prior.ts) are checked the same way, searching the code z.
 */
import { describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, programMeta } from '../../../functions/compiler/index.js';
import { ascend } from '../../../functions/engine/ascent.js';
import { NO_REGULARIZATION } from '../../../functions/engine/regularizers.js';
import { createRunner, runnerOutputs, type GradientRunner, type StepOutput } from '../../../functions/engine/runner.js';
import { classProbability } from '../../../functions/engine/softmax.js';
import { rng } from '../../../functions/engine/prng.js';
import { KernelProgram } from '../../../functions/kernel/executor.js';
import { attr, decodeModel, encodeModel, type OnnxModel } from '../../../functions/onnx/model.js';
import { instantiateKernel } from '../../../functions/hosts/node/kernel.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { CORPUS_MISSING, corpus, corpusBytes, corpusPresent, differentiable, preprocessing } from '../helpers/corpus.js';
import { readFileSync } from 'node:fs';
import { MODELS_DIR } from '../models/paths.js';

const STEPS = 12;

/** max |a - b| / max(|b|, scale) (the difference itself when both are all zero) */
function relative(a: Float32Array, b: Float32Array, scale = 0): number {
  let d = 0;
  let m = scale;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return m === 0 ? d : d / m;
}

/**
 * Whether onnxruntime's forward pass at x is within rounding of a kink of the gradient: a ReLU whose mask the
 * backward pass reads with its input within 2e-6 of zero (relative to the largest input of that ReLU), or a
 * max-pooling window whose two largest values are within 2e-6 of each other (relative to the pool's largest input).
 */
async function kinkDetector(model: OnnxModel, units: number): Promise<(x: Float32Array, n: number, w: Float32Array) => Promise<boolean>> {
  // the ReLUs whose mask the backward pass reads (Greater(relu output, 0)), by their input
  const masks = new Set(model.graph.nodes.filter((node) => node.opType === 'Greater').map((node) => node.inputs[0]!));
  const relus = model.graph.nodes.filter((node) => node.opType === 'Relu' && masks.has(node.outputs[0]!)).map((node) => node.inputs[0]!);
  const pools = model.graph.nodes.filter((node) => node.opType === 'MaxPool');
  const extra = [...new Set([...relus, ...pools.map((node) => node.inputs[0]!)])];
  const probe = encodeModel({ ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra.map((name) => ({ name, dtype: 'float32' as const, shape: null }))] } });
  const ort = await loadOrt();
  if (extra.length === 0) return async () => false;
  const session = await ort.InferenceSession.create(probe, { logSeverityLevel: 3 });
  const input = model.graph.inputs[0]!;
  const rows = (w: Float32Array, n: number) => (w.length === units ? 1 : n);
  return async (x, n, w) => {
    const dims = [n, ...(input.shape!.slice(1) as number[])];
    const out = await session.run({ [input.name]: new ort.Tensor('float32', x, dims), objective_weights: new ort.Tensor('float32', w, [rows(w, n), w.length / rows(w, n)]) }, extra);
    const near = (a: number, b: number, scale: number) => Math.abs(a - b) <= 2e-6 * scale;
    for (const name of relus) {
      const t = out[name]!.data as Float32Array;
      const scale = Math.max(...t.map(Math.abs));
      if (t.some((v) => v !== 0 && near(v, 0, scale))) return true;
    }
    for (const node of pools) {
      const t = out[node.inputs[0]!]!;
      const [N, C, H, W] = t.dims as number[];
      const data = t.data as Float32Array;
      const scale = Math.max(...data.map(Math.abs));
      const [kh, kw] = attr.ints(node, 'kernel_shape')!;
      const [sh, sw] = attr.ints(node, 'strides') ?? [1, 1];
      const pads = attr.ints(node, 'pads') ?? [0, 0, 0, 0];
      for (let p = 0; p < N! * C!; p++) {
        for (let oy = 0; (oy * sh! - pads[0]!) + kh! <= H! + pads[2]!; oy++) {
          for (let ox = 0; (ox * sw! - pads[1]!) + kw! <= W! + pads[3]!; ox++) {
            let a = -Infinity;
            let b = -Infinity;
            for (let ky = 0; ky < kh!; ky++) {
              for (let kx = 0; kx < kw!; kx++) {
                const iy = oy * sh! - pads[0]! + ky;
                const ix = ox * sw! - pads[1]! + kx;
                if (iy < 0 || ix < 0 || iy >= H! || ix >= W!) continue;
                const v = data[(p * H! + iy) * W! + ix]!;
                if (v > a) [a, b] = [v, a];
                else if (v > b) b = v;
              }
            }
            if (a > 0 && near(a, b, scale)) return true;
          }
        }
      }
    }
    return false;
  };
}

interface Case {
  name: string;
  bytes: Uint8Array;
  target: string;
  range: { min: number; max: number };
  /** compose with this generator (output in [0, 1]): the program's input is the code z, searched in [-3, 3] */
  prior?: Uint8Array;
}

/** Runs STEPS Adam steps on onnxruntime and compares the kernel at each step's input. */
async function compare(c: Case): Promise<number> {
  const program = compileGradient(c.bytes, {
    target: c.target,
    ...(c.prior ? { prior: { generator: c.prior, min: c.range.min, max: c.range.max, generatorMin: 0, generatorMax: 1 } } : {}),
  });
  const meta = programMeta(program);
  const bytes = encodeProgram(program, runnerOutputs(meta));
  const kernel = await KernelProgram.create(instantiateKernel, decodeModel(bytes).graph, meta);
  const runner = await createRunner(await loadOrt(), bytes, meta);
  const kinks = await kinkDetector(program.model, meta.units);
  const fixed = meta.input.shape[0];
  const batch = typeof fixed === 'number' ? fixed : 2;
  const size = runner.sampleSize;
  const dims = meta.input.shape.slice(1) as number[];
  const channelsFirst = dims.length === 3 && dims[0]! <= 3;
  const layout = c.prior ? { height: 1, width: size, channels: 1, channelsLast: false } : dims.length === 1
    ? { height: 28, width: dims[0]! / 28, channels: 1, channelsLast: false }
    : channelsFirst ? { height: dims[1]!, width: dims[2]!, channels: dims[0]!, channelsLast: false }
      : { height: dims[0]!, width: dims[1]!, channels: dims[2] ?? 1, channelsLast: dims.length === 3 };
  const random = rng(7);
  const { min, max } = c.prior ? { min: -3, max: 3 } : c.range;
  const starts = Float32Array.from({ length: batch * size }, () => Math.min(max, Math.max(min, (min + max) / 2 + ((max - min) / 6) * random.normal())));
  const weights = new Float32Array(batch * meta.units);
  for (let s = 0; s < batch; s++) weights[s * meta.units + ((3 + s) % meta.units)] = 1;
  let worst = 0;
  let compared = 0;
  let skipped = 0;
  const classTarget = ['logit', 'logprob', 'prob'].includes(c.target);
  const checked: GradientRunner = {
    ...runner,
    async run(x, n, w) {
      const reference: StepOutput = await runner.run(x, n, w);
      const mine = kernel.evaluate(x, n, w);
      const p = Math.max(...Array.from({ length: n }, (_, s) => classProbability(reference.logits, s, meta.classes, (3 + s) % meta.units)));
      if (c.target !== 'logit' && classTarget && p > 0.99) {
        skipped++;
        return reference;
      }
      const errors = (['grad', 'objective', 'logits'] as const).map((k) => {
        const scale = k === 'objective' && classTarget ? Math.max(...reference.logits.map(Math.abs)) : 0;
        return [k, relative(mine[k], reference[k], scale)] as const;
      });
      // a step near a kink may differ (each engine on its side of it); it is compared all the same, and excused
      if (errors.some(([, e]) => e > 1e-5) && (await kinks(x, n, w))) {
        skipped++;
        return reference;
      }
      for (const [k, e] of errors) {
        worst = Math.max(worst, e);
        expect(e, `${c.name} ${c.target}: ${k}`).toBeLessThanOrEqual(1e-5);
      }
      compared++;
      return reference;
    },
  };
  try {
    await ascend(checked, {
      layout, grid: { min, max }, constraints: { min, max, eps: 0, norm: 'linf' }, optimizer: 'adam', lr: (c.target === 'logit' || !classTarget ? 0.05 : 0.01) * (max - min),
      steps: STEPS, regularization: NO_REGULARIZATION, starts, batch, weights, traceClass: Array(batch).fill(-1), seed: 0,
    });
  } finally {
    await runner.release();
  }
  expect(compared, `${c.name} ${c.target}: steps compared (${skipped} near a kink or saturated)`).toBeGreaterThanOrEqual(STEPS / 2);
  return worst;
}

describe('the kernel against onnxruntime, per step', () => {
  for (const id of ['fashion-mlp', 'fashion-cnn']) {
    const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`));
    for (const target of ['logit', 'logprob', 'prob', ...(id === 'fashion-cnn' ? ['conv2d/Relu'] : ['dense/BiasAdd'])]) {
      it(`${id}, target ${target}`, async () => {
        const worst = await compare({ name: id, bytes, target, range: { min: 0, max: 1 } });
        expect(worst).toBeLessThanOrEqual(1e-5);
      });
    }
  }

  const prior = new Uint8Array(readFileSync(`${MODELS_DIR}priors/fashion.onnx`));
  for (const id of ['fashion-mlp', 'fashion-cnn']) {
    it(`${id} through the fashion prior (z -> G -> ${id}), target logit`, async () => {
      const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`));
      const worst = await compare({ name: `${id} prior=fashion`, bytes, target: 'logit', range: { min: 0, max: 1 }, prior });
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  }

  const entries = corpus().filter(differentiable);
  if (!corpusPresent) console.warn(CORPUS_MISSING);
  it.skipIf(!corpusPresent)('the corpus is all covered by the kernel', () => {
    expect(entries.length).toBeGreaterThanOrEqual(10);
  });
  for (const e of entries) {
    it(`corpus: ${e.file}`, async () => {
      const p = preprocessing(e);
      await compare({ name: e.file, bytes: corpusBytes(e.file), target: 'logit', range: { min: p.min, max: p.max } });
    });
  }
});
