/**
 * The kernel runs the whole ascent (optimizer, regularizers, projection) inside WebAssembly. Given the same
 * gradients it must do what functions/engine/ does: the TypeScript loop `ascend`, fed the kernel's own gradient
 * per step, and the kernel's loop give the same images bit for bit, for every optimizer, regularizer and
 * constraint; the traces agree to the last bits of exp() in the reported probability; the images kept at chosen
 * steps (an animation's frames) are the same too, the last one the final image.
 * And a program with an op the kernel does not cover is refused with the op's name (it runs on onnxruntime).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, programMeta } from '../../../functions/compiler/index.js';
import { ascend, type AscentSpec } from '../../../functions/engine/ascent.js';
import { rng } from '../../../functions/engine/prng.js';
import { NO_REGULARIZATION, type Regularization } from '../../../functions/engine/regularizers.js';
import { runnerOutputs, type GradientRunner } from '../../../functions/engine/runner.js';
import { KernelProgram, kernelPlan } from '../../../functions/kernel/executor.js';
import { Unsupported } from '../../../functions/kernel/planner.js';
import { decodeModel } from '../../../functions/onnx/model.js';
import { instantiateKernel } from '../../../functions/hosts/node/kernel.js';
import { compileOpGraph, node } from '../helpers/op-graph.js';
import { MODELS_DIR } from '../models/paths.js';

async function programs(id: string) {
  const program = compileGradient(new Uint8Array(readFileSync(`${MODELS_DIR}${id}.onnx`)));
  const meta = programMeta(program);
  const graph = decodeModel(encodeProgram(program, runnerOutputs(meta))).graph;
  const loop = await KernelProgram.create(instantiateKernel, graph, meta);
  const stepper = await KernelProgram.create(instantiateKernel, graph, meta);
  const runner: GradientRunner = {
    meta, sampleSize: stepper.sampleSize, classes: stepper.classes, fixedBatch: null,
    run: async (x, n, w) => stepper.evaluate(x, n, w), exclusive: (work) => work(), release: async () => {},
  };
  return { loop, runner };
}

const layout = { height: 28, width: 28, channels: 1, channelsLast: false };
const column = Uint8Array.from({ length: 784 }, (_, i) => (i % 28 >= 6 && i % 28 < 20 ? 1 : 0));

function spec(over: Omit<Partial<AscentSpec>, 'regularization'> & { regularization?: Partial<Regularization> }): AscentSpec {
  const batch = 3;
  const random = rng(1);
  const weights = new Float32Array(10);
  weights[7] = 1;
  return {
    layout, grid: { min: 0, max: 1 }, constraints: { min: 0, max: 1, eps: 0, norm: 'linf' }, optimizer: 'adam', lr: 0.05, steps: 40,
    starts: Float32Array.from({ length: batch * 784 }, () => Math.min(1, Math.max(0, 0.5 + random.normal() / 6))),
    batch, weights, traceClass: [7, 7, -1], seed: 5,
    ...over,
    regularization: { ...NO_REGULARIZATION, ...over.regularization },
  };
}

const CASES: [string, Parameters<typeof spec>[0]][] = [
  ['adam', {}],
  ['sgd', { optimizer: 'sgd' }],
  ['normalized', { optimizer: 'normalized', lr: 0.5 }],
  ['sign (PGD) in an L-inf ball and a narrower range', { optimizer: 'sign', lr: 0.01, constraints: { min: 0.1, max: 0.9, eps: 0.1, norm: 'linf' } }],
  ['rmsprop', { optimizer: 'rmsprop', lr: 0.01 }],
  ['the natural preset: l2, tv, blur every 2 steps, jitter', { lr: 0.03, regularization: { l2: 0.005, tv: 0.05, blur: 0.5, blurEvery: 2, jitter: 1 } }],
  ['l1, an L2 ball and a mask', { regularization: { l1: 0.01 }, constraints: { min: 0, max: 1, eps: 1.5, norm: 'l2', mask: column } }],
];

describe('the kernel\'s loop equals the TypeScript engine on the same gradients', () => {
  for (const [name, over] of CASES) {
    it(name, async () => {
      const { loop, runner } = await programs('fashion-mlp');
      const s = spec(over);
      const expected = await ascend(runner, s);
      const actual = await loop.ascend(s);
      expect(actual.images).toEqual(expected.images);
      expect(actual.levels).toEqual(expected.levels);
      expect(actual.logits).toEqual(expected.logits);
      for (let k = 0; k < s.batch; k++) {
        expect(actual.trace.objective[k]).toHaveLength(s.steps);
        for (let t = 0; t < s.steps; t++) {
          expect(actual.trace.objective[k]![t]).toBeCloseTo(expected.trace.objective[k]![t]!, 12);
          if (s.traceClass[k]! < 0) expect(actual.trace.probability[k]![t]).toBeNaN();
          else expect(actual.trace.probability[k]![t]).toBeCloseTo(expected.trace.probability[k]![t]!, 12);
        }
      }
    });
  }

  it('the CNN too, with progress reported in chunks of steps and snapshots between them', async () => {
    const { loop, runner } = await programs('fashion-cnn');
    const s = spec({ steps: 24, snapshots: [0, 1, 7, 13, 24], regularization: { l2: 0.005, tv: 0.05, blur: 0.5, blurEvery: 2, jitter: 1 } });
    const expected = await ascend(runner, s);
    const seen: number[] = [];
    const actual = await loop.ascend({ ...s, onStep: (t, trace) => { seen.push(t); expect(trace.objective[0]).toHaveLength(Math.max(t, trace.objective[0]!.length)); } });
    expect(seen).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(actual.images).toEqual(expected.images);
    expect(actual.probabilities).toEqual(expected.probabilities);
    expect(actual.snapshots!.map((f) => f.step)).toEqual([0, 1, 7, 13, 24]);
    expect(actual.snapshots).toEqual(expected.snapshots);
    expect(actual.snapshots!.at(-1)!.levels).toEqual(actual.levels);
    // without progress: one call per snapshot step
    const quiet = await loop.ascend(s);
    expect(quiet.snapshots).toEqual(expected.snapshots);
    expect(quiet.images).toEqual(expected.images);
  });
});

describe('coverage', () => {
  it('a program with an op the kernel does not cover is refused, naming the op', () => {
    const program = compileOpGraph({ inputShape: [2, 6], nodes: [node('Tanh', ['x'], 'y')] });
    const meta = programMeta(program);
    const graph = decodeModel(encodeProgram(program, runnerOutputs(meta))).graph;
    expect(() => kernelPlan(graph, meta)).toThrow(Unsupported);
    expect(() => kernelPlan(graph, meta)).toThrow(/Tanh/);
  });
});
