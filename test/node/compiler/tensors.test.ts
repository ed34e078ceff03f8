/**
 * What layer= can name, and which of its units never respond. The list of a model's differentiable intermediate
 * tensors (name, op, shape, units) is the one the compiler accepts as targets; the probe's dead units of
 * fashion-mlp's hidden layer over the 1,000 shipped samples equal those found by running the ORIGINAL model with
 * that tensor exposed as an output.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGradient, compileProbe, encodeProbe, listTensors, ModelError } from '../../../functions/compiler/index.js';
import { withNormalization } from '../../../functions/compiler/preprocess.js';
import { deadUnits, measureActivity } from '../../../functions/engine/activity.js';
import { fileSamples } from '../../../functions/hosts/node/registry.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { decodeModel, encodeModel } from '../../../functions/onnx/model.js';

const mlp = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../models/fashion-mlp.onnx', import.meta.url))));

describe('differentiable intermediate tensors', () => {
  it('lists every tensor a target may name, in graph order, and each one compiles as a target', () => {
    const list = listTensors(mlp);
    expect(list.map((t) => [t.name, t.op, t.units])).toEqual([
      ['flatten', 'Flatten', 784],
      ['dense/MatMul', 'MatMul', 128],
      ['dense/BiasAdd', 'Add', 128],
      ['dense/Relu', 'Relu', 128],
      ['dense_1/MatMul', 'MatMul', 10],
      ['logits', 'Add', 10],
      ['probabilities', 'Softmax', 10],
    ]);
    expect(list[3]!.shape).toEqual(['N', 128]);
    for (const t of list) expect(compileGradient(mlp, { target: t.name }).units).toBe(t.units);
    // and a name that is not listed is not a target
    expect(() => compileGradient(mlp, { target: 'dense/Relu:0' })).toThrow(ModelError);
  });

  it('leaves out the normalization an upload prepends', () => {
    const normalized = withNormalization(decodeModel(mlp), 'input', { mean: [0.5], std: [0.5], rank: 3, channelAxis: 2 });
    expect(listTensors(normalized).map((t) => t.name)).toEqual(listTensors(mlp).map((t) => t.name));
  });

  it('finds the hidden units that are 0 on every shipped sample, as the original model does', async () => {
    const samples = fileSamples();
    const fill = (i: number, into: Float32Array, o: number) => {
      for (let k = 0; k < 784; k++) into[o + k] = samples.pixels[i * 784 + k]! / 255;
    };
    const probe = compileProbe(mlp);
    const ort = await loadOrt();
    const activity = await measureActivity(ort, encodeProbe(probe), probe, samples.count, fill);
    expect(activity.images).toBe(1000);
    const hidden = activity.tensors.find((t) => t.name === 'dense/Relu')!;

    // the original model with its hidden layer as a second output
    const m = decodeModel(mlp);
    m.graph.outputs.push({ name: 'dense/Relu', dtype: 'float32', shape: ['N', 128] });
    const session = await ort.InferenceSession.create(encodeModel(m), { logSeverityLevel: 3 });
    const x = new Float32Array(1000 * 784);
    for (let i = 0; i < 1000; i++) fill(i, x, i * 784);
    const h = (await session.run({ input: new ort.Tensor('float32', x, [1000, 28, 28]) }))['dense/Relu']!.data as Float32Array;
    const never = [...Array(128).keys()].filter((u) => [...Array(1000).keys()].every((i) => h[i * 128 + u] === 0));
    expect(never.length).toBeGreaterThan(0);
    expect(deadUnits(hidden)).toEqual(never);
    // the image each live unit responds to most
    for (const u of [0, 1, 2].filter((v) => !never.includes(v))) {
      let best = 0;
      for (let i = 1; i < 1000; i++) if (h[i * 128 + u]! > h[best * 128 + u]!) best = i;
      expect(hidden.best[u]).toBe(best);
    }
  });
});
