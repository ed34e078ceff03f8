/**
 * Which engine runs what, inside workerd. The built-in models run on Ascent's WebAssembly kernel from their
 * precompiled programs: /api/v1/models says so, the engine is part of every result's key, and onnxruntime is
 * not even instantiated for them (maximize, GIF, events, predict). A search through a prior runs its composed
 * program on the kernel too (its generator's final images on onnxruntime). An upload with an op the kernel does
 * not cover (a tanh layer) runs on onnxruntime, and
 * says so too; an upload the kernel covers runs on the kernel.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { createApp } from '../../functions/api/app.js';
import { memoryCache } from '../../functions/api/cache.js';
import { builtinPriors, builtinRegistry } from '../../functions/hosts/workerd/registry.js';
import { builtinProgram, instantiateKernel } from '../../functions/hosts/workerd/kernel.js';
import { loadOrt } from '../../functions/hosts/workerd/ort.js';
import { r2Store } from '../../functions/hosts/workerd/r2.js';
import { bundledSamples } from '../../functions/hosts/workerd/samples.js';
import { KERNEL_VERSION } from '../../functions/api/maximize/canonical.js';
import { UploadStore } from '../../functions/registry/uploads.js';
import { A, encodeModel } from '../../functions/onnx/model.js';
import { floats, int64s } from '../../functions/onnx/tensor.js';
import { rng } from '../../functions/engine/prng.js';
import { getJson, type MaximizeJson } from './helpers.js';

const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;
const LABELS = 'a,b,c,d,e,f,g,h,i,j';

/** An app like the Worker's, counting how often onnxruntime is loaded. */
function countingApp() {
  const counter = { loads: 0 };
  const app = createApp({
    registry: builtinRegistry, priors: builtinPriors, samples: bundledSamples, cache: memoryCache(), instantiateKernel, builtinProgram,
    loadOrt: () => { counter.loads++; return loadOrt(); },
    uploads: new UploadStore(r2Store(bucket)), programStore: r2Store(bucket),
  });
  const json = async <T>(path: string, init?: RequestInit) => {
    const r = await app.request(`http://ascent.test${path}`, init);
    const text = await r.text();
    expect(r.status, `${path}: ${text.slice(0, 300)}`).toBeLessThan(300);
    return { body: JSON.parse(text) as T, params: r.headers.get('x-ascent-params') ?? '' };
  };
  return { counter, app, json };
}

/** A 784-16-10 network with a tanh hidden layer: an op the kernel does not run. */
function tanhMlp(): Uint8Array {
  const random = rng(3);
  const w = (n: number) => Float32Array.from({ length: n }, () => random.normal() * 0.2);
  return encodeModel({
    irVersion: 8, opsets: new Map([['', 17]]), producerName: 'test', producerVersion: '', metadata: {},
    graph: {
      name: 'tanh_mlp',
      nodes: [
        { name: 'flat', opType: 'Reshape', domain: '', inputs: ['x', 'shape'], outputs: ['f'], attrs: {} },
        { name: 'fc1', opType: 'Gemm', domain: '', inputs: ['f', 'w1', 'b1'], outputs: ['h'], attrs: {} },
        { name: 'act', opType: 'Tanh', domain: '', inputs: ['h'], outputs: ['s'], attrs: {} },
        { name: 'fc2', opType: 'Gemm', domain: '', inputs: ['s', 'w2', 'b2'], outputs: ['logits'], attrs: { transB: A.int(0) } },
      ],
      initializers: new Map([
        ['shape', int64s([-1, 784])], ['w1', floats([784, 16], w(784 * 16))], ['b1', floats([16], w(16))],
        ['w2', floats([16, 10], w(160))], ['b2', floats([10], w(10))],
      ]),
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 28, 28] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 10] }],
      valueInfo: [],
    },
  });
}

describe('engines', () => {
  it('the built-in models run on the kernel, and /api/v1/models says so', async () => {
    const { models } = await getJson<{ models: { id: string; engine: string }[] }>('/api/v1/models');
    expect(models.map((m) => [m.id, m.engine])).toEqual([['fashion-mlp', 'kernel'], ['fashion-cnn', 'kernel']]);
    expect((await getJson<{ engine: string }>('/api/v1/models/fashion-cnn')).engine).toBe('kernel');
  });

  it('a built-in model\'s requests never instantiate onnxruntime, and the key names the engine', async () => {
    const { counter, app, json } = countingApp();
    const mlp = await json<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=Sneaker&format=json');
    expect(mlp.body.probability).toBeGreaterThan(0.99);
    expect(mlp.params).toContain(`engine=kernel-${KERNEL_VERSION}`);
    const cnn = await json<MaximizeJson>('/api/v1/maximize?model=fashion-cnn&class=Trouser&restarts=2&steps=64&format=json');
    expect(cnn.body.probability).toBeGreaterThan(0.99);
    const events = await (await app.request('http://ascent.test/api/v1/maximize/events?model=fashion-cnn&class=Bag&steps=32')).text();
    expect(events).toContain('event: progress');
    expect(events).toContain('event: result');
    expect((await json<{ predicted: { label: string } }>('/api/v1/predict?model=fashion-cnn&sample=702')).body.predicted.label).toBe('Sneaker');
    const gif = await app.request('http://ascent.test/api/v1/maximize?model=fashion-mlp&class=Bag&steps=32&format=gif&frames=4');
    expect([gif.status, gif.headers.get('content-type')]).toEqual([200, 'image/gif']);
    expect(gif.headers.get('x-ascent-params')).toContain(`engine=kernel-${KERNEL_VERSION}`);
    expect(counter.loads).toBe(0);
    const prior = await json<MaximizeJson>('/api/v1/maximize?model=fashion-mlp&class=Bag&steps=16&prior=fashion&format=json');
    expect(prior.params).toContain(`engine=kernel-${KERNEL_VERSION}`);
  });

  it('uploads: one with an op the kernel does not cover runs on onnxruntime, one it covers on the kernel', async () => {
    const { counter, json } = countingApp();
    const upload = (bytes: Uint8Array) => json<{ id: string; engine: string }>(`/api/v1/models?labels=${LABELS}`, {
      method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' },
    });
    const tanh = (await upload(tanhMlp())).body;
    expect(tanh.engine).toBe('onnxruntime');
    const onOrt = await json<MaximizeJson>(`/api/v1/maximize?model=${tanh.id}&class=3&steps=32&format=json`);
    expect(onOrt.params).toContain('engine=3');
    expect(onOrt.body.probability).toBeGreaterThan(onOrt.body.probabilities.reduce((a, b) => Math.min(a, b), 1));
    expect(counter.loads).toBeGreaterThan(0);
    const mlp = (await upload(new Uint8Array(mlpBytes))).body;
    expect(mlp.engine).toBe('kernel');
    const onKernel = await json<MaximizeJson>(`/api/v1/maximize?model=${mlp.id}&class=7&format=json`);
    expect(onKernel.params).toContain(`engine=kernel-${KERNEL_VERSION}`);
    expect(onKernel.body.probability).toBeGreaterThan(0.99);
  });
});
