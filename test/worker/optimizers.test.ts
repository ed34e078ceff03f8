/**
 * Each optimizer and each target through the API does what the README and the parameter table say. One step
 * from the gray start shows an optimizer's update rule on the returned image: the gradient there is computed
 * here, with the compiled program run by onnxruntime (the compiler is checked against tf.grad elsewhere).
 */
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { compileGradient, encodeProgram } from '../../functions/compiler/index.js';
import { loadOrt } from '../../functions/hosts/workerd/ort.js';
import { getJson, type MaximizeJson } from './helpers.js';

const K = 7; // Sneaker
/** init=gray starts every pixel at the middle of [0, 1], on the 8-bit grid: level 128 */
const X0 = 128 / 255;

/** d logit_K / dx of fashion-mlp at the gray image (computed once). */
let gradient: Promise<Float64Array> | undefined;
function gradientAtGray(): Promise<Float64Array> {
  gradient ??= (async () => {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(encodeProgram(compileGradient(new Uint8Array(mlpBytes), { target: 'logit' })));
    const w = new Float32Array(10);
    w[K] = 1;
    const out = await session.run({
      input: new ort.Tensor('float32', new Float32Array(784).fill(X0), [1, 28, 28]),
      objective_weights: new ort.Tensor('float32', w, [1, 10]),
    });
    return Float64Array.from(out.grad!.data as Float32Array);
  })();
  return gradient;
}

/**
 * Each update rule as a step size (chosen from the gradient so that the largest change is 0.3 or less, about 77
 * levels, and nothing reaches the ends of the range) and the change it makes to pixel i.
 */
const RULES: [string, (g: Float64Array) => { lr: number; step: (i: number) => number }][] = [
  ['sgd', (g) => {
    const lr = 0.3 / Math.max(...g.map(Math.abs));
    return { lr, step: (i) => lr * g[i]! };
  }],
  ['normalized', (g) => {
    const norm = Math.hypot(...g);
    const lr = (0.3 * norm) / Math.max(...g.map(Math.abs));
    return { lr, step: (i) => (lr * g[i]!) / norm };
  }],
  ['sign', (g) => ({ lr: 0.1, step: (i) => 0.1 * Math.sign(g[i]!) })],
  // Adam's first step: m^ = g and v^ = g^2, so lr g / |g|
  ['adam', (g) => ({ lr: 0.1, step: (i) => 0.1 * Math.sign(g[i]!) })],
  // RMSprop's first step: v = 0.1 g^2, so lr g / (sqrt(0.1) |g|)
  ['rmsprop', (g) => ({ lr: 0.1, step: (i) => (0.1 * Math.sign(g[i]!)) / Math.sqrt(0.1) })],
];

describe('optimizers: one step from the gray start follows the update rule', () => {
  it.each(RULES)('%s', async (optimizer, rule) => {
    const g = await gradientAtGray();
    // the gradient is non-zero almost everywhere, so every pixel shows the rule
    expect(g.filter((v) => Math.abs(v) < 1e-6).length).toBeLessThan(8);
    const { lr, step } = rule(g);
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=fashion-mlp&class=${K}&init=gray&steps=1&optimizer=${optimizer}&lr=${lr}&format=json`);
    // every level is the nearest one to x0 + step (tolerance: half a level, plus float32 rounding)
    const worst = Math.max(...j.image.levels.map((q, i) => Math.abs(q - 255 * (X0 + step(i)))));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
  });
});

describe('optimizers: a whole run', () => {
  it.each(['sgd', 'normalized', 'rmsprop'])('%s climbs: the class score ends far above where it started', async (optimizer) => {
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=fashion-mlp&class=${K}&optimizer=${optimizer}&steps=64&format=json`);
    expect(j.params.optimizer).toBe(optimizer);
    expect(j.trace.objective.at(-1)!).toBeGreaterThan(j.trace.objective[0]! + 10);
  });
});

describe('targets', () => {
  /** log p_k of logits z, computed here from the logits the API returns */
  const logProb = (z: number[], k: number) => {
    const top = Math.max(...z);
    return z[k]! - top - Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0));
  };
  type Result = MaximizeJson & { logits: number[]; score: number };
  const T = 1; // Trouser: from the gray start, 8 steps reach it with each target

  it.each([
    ['logit', (j: Result) => j.logits[T]!],
    ['logprob', (j: Result) => logProb(j.logits, T)],
    ['prob', (j: Result) => Math.exp(logProb(j.logits, T))],
  ] as const)('target=%s maximizes that function of the class score', async (target, expected) => {
    const j = await getJson<Result>(`/api/v1/maximize?model=fashion-mlp&class=${T}&target=${target}&init=gray&steps=8&format=json`);
    expect(j.params.target).toBe(target);
    // the objective reported is that function of the returned image's logits
    expect(Math.abs(j.score - expected(j))).toBeLessThanOrEqual(1e-4 * Math.abs(expected(j)) + 1e-6);
    expect(j.trace.objective.at(-1)!).toBeGreaterThan(j.trace.objective[0]!);
    expect(j.predicted.class).toBe(T);
  });
});
