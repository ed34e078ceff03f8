/**
 * The gradient compiler and its programs run inside workerd (not only in Node): compile both models here, run
 * the programs with the Workers build of onnxruntime-web, and check the gradient against finite differences of
 * the original model (averaged along the segment, see test/node/compiler/corpus.test.ts for why).
 */
import { describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram } from '../../functions/compiler/index.js';
import { builtinRegistry } from '../../functions/hosts/workerd/registry.js';
import { loadOrt } from '../../functions/hosts/workerd/ort.js';
import { bundledSamples } from '../../functions/hosts/workerd/samples.js';

describe('the gradient compiler in workerd', () => {
  it.each(['fashion-mlp', 'fashion-cnn'])('%s: the compiled gradient matches finite differences', async (id) => {
    const record = (await builtinRegistry.get(id))!;
    const ort = await loadOrt();
    const program = compileGradient(record.bytes, { target: 'logit' });
    const grad = await ort.InferenceSession.create(encodeProgram(program));
    const original = await ort.InferenceSession.create(record.bytes);
    const samples = bundledSamples();
    const x = Float32Array.from(samples.pixels.subarray(0, 784), (v) => v / 255);
    const d = Float32Array.from({ length: 784 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    const w = new Float32Array(10);
    w[4] = 1;
    w[6] = -1;
    const logProbContrast = async (v: Float32Array) => {
      const out = await original.run({ input: new ort.Tensor('float32', v, [1, 28, 28]) });
      const p = out.probabilities!.data as Float32Array;
      return Math.log(p[4]!) - Math.log(p[6]!); // = z4 - z6
    };
    const h = 1e-3;
    const fPlus = await logProbContrast(x.map((v, i) => v + h * d[i]!));
    const fMinus = await logProbContrast(x.map((v, i) => v - h * d[i]!));
    const fd = (fPlus - fMinus) / (2 * h);
    let average = 0;
    const K = 32;
    for (let k = 0; k < K; k++) {
      const s = -h + ((k + 0.5) * 2 * h) / K;
      const out = await grad.run({
        input: new ort.Tensor('float32', x.map((v, i) => v + s * d[i]!), [1, 28, 28]),
        objective_weights: new ort.Tensor('float32', w, [1, 10]),
      });
      const g = out.grad!.data as Float32Array;
      let dot = 0;
      for (let i = 0; i < 784; i++) dot += g[i]! * d[i]!;
      average += dot / K;
    }
    const noise = (8 * 2 ** -23 * (Math.abs(fPlus) + Math.abs(fMinus))) / (2 * h);
    expect(Math.abs(average - fd), `gradient ${average}, finite differences ${fd}`).toBeLessThanOrEqual(1e-2 * Math.abs(fd) + noise);
  });
});
