/**
 * The gradient compiler and its programs run inside workerd (not only in Node): compile both models here, run
 * the programs with the Workers build of onnxruntime-web, and check the gradient against finite differences of
 * the original model (averaged along the segment, see test/node/compiler/corpus.test.ts for why).
 */
import { describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, programMeta } from '../../functions/compiler/index.js';
import { runnerOutputs } from '../../functions/engine/runner.js';
import { decodeModel } from '../../functions/onnx/model.js';
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

describe("a runner's program", () => {
  it.each(['fashion-mlp', 'fashion-cnn'])('%s: only the outputs a runner fetches, the same gradient and logits', async (id) => {
    const record = (await builtinRegistry.get(id))!;
    const ort = await loadOrt();
    const program = compileGradient(record.bytes, { target: 'logit' });
    const meta = programMeta(program);
    const fetches = runnerOutputs(meta);
    expect(fetches).toEqual(['grad', meta.outputs.logits]);
    const full = await ort.InferenceSession.create(encodeProgram(program));
    const slim = await ort.InferenceSession.create(encodeProgram(program, fetches));
    expect([...slim.outputNames].sort()).toEqual([...fetches].sort());
    const samples = bundledSamples();
    const feeds = {
      input: new ort.Tensor('float32', Float32Array.from(samples.pixels.subarray(784, 2 * 784), (v) => v / 255), [1, 28, 28]),
      objective_weights: new ort.Tensor('float32', Float32Array.from({ length: 10 }, (_, c) => (c === 3 ? 1 : 0)), [1, 10]),
    };
    const a = await full.run(feeds, fetches);
    const b = await slim.run(feeds, fetches);
    for (const name of fetches) expect([...(b[name]!.data as Float32Array)]).toEqual([...(a[name]!.data as Float32Array)]);
    // the model's softmax output and the objective's nodes are gone
    const ops = (bytes: Uint8Array) => decodeModel(bytes).graph.nodes.map((n) => n.opType);
    expect(ops(encodeProgram(program, fetches))).not.toContain('Softmax');
    expect(ops(encodeProgram(program, fetches))).not.toContain('ReduceSum');
    expect(ops(encodeProgram(program))).toContain('ReduceSum');
  });
});
