/**
 * Uploads inside workerd: the life of an upload (admit, store in R2, use on every endpoint, delete), ids, opsets,
 * and malformed files, each refused with a clear 4xx while nothing is stored and the worker keeps serving. The
 * upload token is in worker-env.test.ts.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { encodeModel, type OnnxModel } from '../../functions/onnx/model.js';
import { onnx } from '../../functions/onnx/proto.js';
import { floats } from '../../functions/onnx/tensor.js';
import { expectProblem, get, getJson, type MaximizeJson } from './helpers.js';

const LABELS = 'tee,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,boot';
const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;
const storedUploads = async () => (await bucket.list({ prefix: 'uploads/' })).objects.length + (await bucket.list({ prefix: 'content/' })).objects.length;

const post = (body: BodyInit | null, query = '', type = 'application/octet-stream', headers: Record<string, string> = {}) =>
  get(`/api/v1/models${query}`, { method: 'POST', body, headers: { 'content-type': type, ...headers } });

function identityChain(nodes: number): Uint8Array {
  const model: OnnxModel = {
    irVersion: 8, opsets: new Map([['', 17]]), producerName: 'test', producerVersion: '', metadata: {},
    graph: {
      name: 'g',
      nodes: Array.from({ length: nodes }, (_, i) => ({ name: `n${i}`, opType: 'Identity', domain: '', inputs: [i === 0 ? 'x' : `t${i - 1}`], outputs: [`t${i}`], attrs: {} })),
      initializers: new Map([['w', floats([2], [1, 2])]]),
      inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 28, 28] }],
      outputs: [{ name: `t${nodes - 1}`, dtype: 'float32', shape: ['N', 28, 28] }],
      valueInfo: [],
    },
  };
  return encodeModel(model);
}

describe('an upload, start to finish', () => {
  it('is admitted, described, usable on every endpoint, deduplicated, and deleted only with its token', async () => {
    const r = await post(new Uint8Array(mlpBytes), `?title=My%20MLP&labels=${LABELS}`);
    expect(r.status).toBe(201);
    const info = (await r.json()) as { id: string; deleteToken: string; labels: string[]; recognized: { layout: string; batch: string }; input: { shape: number[] }; links: { maximize: string } };
    expect(info.id).toMatch(/^u-[0-9a-f]{32}$/);
    expect(r.headers.get('location')).toBe(`/api/v1/models/${info.id}`);
    expect(info.labels[7]).toBe('sneaker');
    expect(info.recognized).toMatchObject({ layout: 'HW', batch: 'dynamic' });
    expect(info.input.shape).toEqual([28, 28]);

    const described = await getJson<{ id: string; title: string }>(`/api/v1/models/${info.id}`);
    expect(described.title).toBe('My MLP');
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=${info.id}&class=sneaker&format=json`);
    expect(j.probability).toBeGreaterThanOrEqual(0.99);
    const p = await getJson<{ predicted: { label: string } }>(`/api/v1/predict?model=${info.id}&sample=702`);
    expect(p.predicted.label).toBe('sneaker');
    // the compiled program is kept in R2 for the next isolate, under the stored content (never under the id)
    const programs = async () => (await bucket.list({ prefix: 'programs/' })).objects.filter((o) => !o.key.startsWith('programs/fashion-')).length;
    expect(await programs()).toBeGreaterThanOrEqual(2);
    expect((await bucket.list({ prefix: `programs/${info.id}/` })).objects).toHaveLength(0);

    // the same file again: another id (nobody can compute someone else's), the same stored content, admitted once
    const again = await post(new Uint8Array(mlpBytes), `?title=My%20MLP&labels=${LABELS}`);
    expect(again.status).toBe(201);
    const second = (await again.json()) as { id: string; deleteToken: string };
    expect(second.id).toMatch(/^u-[0-9a-f]{32}$/);
    expect(second.id).not.toBe(info.id);
    expect((await bucket.list({ prefix: 'content/' })).objects.filter((o) => o.key.endsWith('model.onnx'))).toHaveLength(1);

    await expectProblem(await get(`/api/v1/models/${info.id}`, { method: 'DELETE' }), 401);
    await expectProblem(await get(`/api/v1/models/${info.id}`, { method: 'DELETE', headers: { authorization: 'Bearer 0123' } }), 401);
    await expectProblem(await get(`/api/v1/models/${info.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${second.deleteToken}` } }), 401);
    await expectProblem(await get('/api/v1/models/fashion-mlp', { method: 'DELETE', headers: { authorization: 'Bearer x' } }), 403);
    const del = await get(`/api/v1/models/${info.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${info.deleteToken}` } });
    expect(del.status).toBe(204);
    await expectProblem(await get(`/api/v1/models/${info.id}`), 404);
    expect((await bucket.list({ prefix: `uploads/${info.id}/` })).objects).toHaveLength(0);
    // the other uploader's link still works: the content goes with its last reference
    const still = await getJson<MaximizeJson>(`/api/v1/maximize?model=${second.id}&class=sneaker&format=json&steps=3`);
    expect(still.probabilities).toHaveLength(10);
    expect(await programs()).toBeGreaterThanOrEqual(2);
    expect((await get(`/api/v1/models/${second.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${second.deleteToken}` } })).status).toBe(204);
    expect((await bucket.list({ prefix: 'content/' })).objects).toHaveLength(0);
    expect(await programs()).toBe(0);
  });

  it('accepts multipart with a JSON description and applies its normalization inside the graph', async () => {
    const form = new FormData();
    form.set('model', new File([new Uint8Array(mlpBytes)], 'mlp.onnx'));
    // the model wants pixels in [0, 1]; a user thinking in 0..255 says so with min/max and mean 0, std 255
    form.set('description', JSON.stringify({ title: 'in 0..255', min: 0, max: 255, mean: 0, std: 255 }));
    const r = await get('/api/v1/models', { method: 'POST', body: form });
    expect(r.status).toBe(201);
    const info = (await r.json()) as { id: string; input: { min: number; max: number }; preprocessing: { mean: number[]; std: number[] } };
    expect(info.input).toMatchObject({ min: 0, max: 255 });
    expect(info.preprocessing).toEqual({ mean: [0], std: [255] });
    const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=${info.id}&class=1&format=json`);
    expect(j.probability).toBeGreaterThanOrEqual(0.99);
    expect(Math.max(...j.image.data)).toBeGreaterThan(1);
    expect(Math.max(...j.image.data)).toBeLessThanOrEqual(255);
  });
});

describe('ids and opsets', () => {
  const idOf = async (r: Response) => {
    expect(r.status, await r.clone().text()).toBeLessThan(300);
    return ((await r.json()) as { id: string }).id;
  };

  it('gives every upload its own id, and the same file and description (in any order or body format) one stored content', async () => {
    const a = await idOf(await post(new Uint8Array(mlpBytes), '?title=A&labels=' + LABELS));
    const b = await idOf(await post(new Uint8Array(mlpBytes), '?title=B&labels=' + LABELS));
    const c = await idOf(await post(new Uint8Array(mlpBytes), '?title=A'));
    // the same description in another order and another body format
    const form = new FormData();
    form.set('model', new File([new Uint8Array(mlpBytes)], 'mlp.onnx'));
    form.set('description', JSON.stringify({ labels: LABELS.split(','), title: 'A' }));
    const d = await idOf(await get('/api/v1/models', { method: 'POST', body: form }));
    expect(new Set([a, b, c, d]).size).toBe(4);
    const contentOf = async (id: string) => (JSON.parse(await (await bucket.get(`uploads/${id}/record.json`))!.text()) as { content: string }).content;
    expect(await contentOf(d)).toBe(await contentOf(a));
    expect(new Set([await contentOf(a), await contentOf(b), await contentOf(c)]).size).toBe(3);
    expect((await getJson<{ title: string }>(`/api/v1/models/${b}`)).title).toBe('B');
  });

  it('admits a model of the highest opset Ascent reads (23) and refuses the next one with the supported range', async () => {
    const stamped = (opset: number) => {
      const m = onnx.ModelProto.decode(new Uint8Array(mlpBytes));
      m.opsetImport = [{ domain: '', version: opset }];
      return onnx.ModelProto.encode(m).finish();
    };
    await idOf(await post(stamped(23), '?title=opset%2023'));
    const before = await storedUploads();
    const p = await expectProblem(await post(stamped(24), '?title=opset%2024'), 422);
    expect(p.detail).toMatch(/opset 24; Ascent reads opsets 7 to 23/);
    expect(await storedUploads()).toBe(before);
  });
});

describe('malformed uploads are refused, nothing is stored, the worker keeps serving', () => {
  const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24);
  const truncated = new Uint8Array(mlpBytes).slice(0, 200_000);
  const external = (() => {
    const m = onnx.ModelProto.decode(new Uint8Array(mlpBytes));
    m.graph!.initializer![0]!.rawData = new Uint8Array(0);
    m.graph!.initializer![0]!.dataLocation = 1;
    m.graph!.initializer![0]!.externalData = [{ key: 'location', value: 'weights.bin' }];
    return onnx.ModelProto.encode(m).finish();
  })();
  const huge = (() => {
    const m = onnx.ModelProto.decode(new Uint8Array(mlpBytes));
    m.graph!.initializer![0]!.dims = [100000, 100000];
    return onnx.ModelProto.encode(m).finish();
  })();

  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ['random bytes', () => post(random), 400, /not a usable ONNX model/],
    ['a truncated file', () => post(truncated), 400, /not a usable ONNX model/],
    ['an empty body', () => post(new Uint8Array(0)), 400, /empty/],
    ['an oversized body', () => post(new Uint8Array(17 * 1024 * 1024)), 413, /16 MiB|bytes/],
    ['an absurd node count', () => post(identityChain(6000)), 400, /6,000 nodes; at most 1,000/],
    ['an absurd tensor size', () => post(huge), 400, /tensor "dense\/kernel" declares dims \[100000, 100000\] \(10,000,000,000 elements\); at most 16,777,216 elements per tensor are accepted/],
    ['external data', () => post(external), 400, /external file/],
    ['a text file named .onnx', () => {
      const form = new FormData();
      form.set('model', new File(['this is not a model\n'], 'model.onnx', { type: 'application/octet-stream' }));
      return get('/api/v1/models', { method: 'POST', body: form });
    }, 400, /not a usable ONNX model/],
    ['a model that is not an image classifier', () => post(identityChain(3)), 422, /class|shape/],
    ['labels that do not match the classes', () => post(new Uint8Array(mlpBytes), '?labels=a,b,c'), 400, /10 classes but 3 labels/],
    ['an unknown description field', () => post(new Uint8Array(mlpBytes), '?lables=a,b'), 400, /Did you mean "labels"/],
    ['a JSON body', () => post('{}', '', 'application/json'), 415, /octet-stream/],
    ['half a normalization', () => post(new Uint8Array(mlpBytes), '?mean=0.5'), 400, /both mean and std/],
  ];

  it.each(cases)('%s', async (_name, send, status, detail) => {
    const before = await storedUploads();
    const p = await expectProblem(await send(), status);
    expect(p.detail).toMatch(detail);
    expect(await storedUploads()).toBe(before);
    const still = await get('/api/v1/models');
    expect(still.status).toBe(200);
  });
});
