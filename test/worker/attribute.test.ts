/**
 * /api/v1/attribute as a user sees it: heatmaps and JSON for both built-in models, Integrated Gradients'
 * completeness within 1 % at the default steps for the first test image of each class, the predicted class as the
 * default, canonical keys shared by equivalent URLs and by a POSTed PNG, ETags and caching, and every mistake a
 * problem naming the parameter.
 */
import { decode, encode } from 'fast-png';
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createWorker, type Env } from '../../functions/worker.js';
import { BASE, expectProblem, get, getJson } from './helpers.js';

interface AttributionJson {
  model: string;
  method: string;
  class: number;
  label: string;
  probability: number;
  predicted: { class: number; label: string };
  probabilities: number[];
  attribution: { shape: number[]; layout: string; data: number[] };
  cam?: { layer: string; shape: number[]; data: number[] };
  completeness?: { sum: number; delta: number; fInput: number; fBaseline: number; relative: number };
  parameters: Record<string, unknown>;
  params: Record<string, string | number>;
  url: string;
  work: { cpuMs: number; rows: number };
}

const MODELS = ['fashion-mlp', 'fashion-cnn'];

describe.each(MODELS)('attribute on %s', (model) => {
  it('integrated: completeness below 1 % at the default steps for the first test image of each class', async () => {
    for (let k = 0; k < 10; k++) {
      const j = await getJson<AttributionJson>(`/api/v1/attribute?model=${model}&sample=${k * 100}&class=${k}&method=integrated&format=json`);
      expect(j.parameters).toEqual({ steps: 256, baseline: 'black' });
      const c = j.completeness!;
      expect(c.relative, `test image ${k * 100}: sum ${c.sum}, f(x) - f(black) ${c.delta}`).toBeLessThan(0.01);
      // the reported sum is the sum of the returned attributions, and delta is f(x) - f(baseline)
      expect(j.attribution.data.reduce((a, b) => a + b, 0)).toBeCloseTo(c.sum, 3);
      expect(c.delta).toBeCloseTo(c.fInput - c.fBaseline, 4);
    }
  });

  it.each(['gradient', 'gradxinput', 'smoothgrad', 'integrated'])('%s: a 224-pixel heatmap PNG with its numbers in headers', async (method) => {
    const r = await get(`/api/v1/attribute?model=${model}&sample=7&method=${method}`);
    expect(r.status, r.status === 200 ? '' : await r.text()).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(r.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    const img = decode(new Uint8Array(await r.arrayBuffer()));
    expect([img.width, img.height, img.channels]).toEqual([224, 224, 3]);
    // the class defaults to the predicted one
    expect(r.headers.get('x-ascent-class')).toBe(r.headers.get('x-ascent-predicted'));
    expect(Number(r.headers.get('x-ascent-probability'))).toBeGreaterThan(0.5);
    expect(r.headers.has('x-ascent-completeness')).toBe(method === 'integrated');
  });
});

describe('attribute as JSON', () => {
  it('gives the map in the input layout, the probabilities of the input and the method parameters', async () => {
    const j = await getJson<AttributionJson>('/api/v1/attribute?model=fashion-mlp&sample=700&method=smoothgrad&format=json');
    const p = await getJson<{ probabilities: number[]; predicted: { class: number } }>('/api/v1/predict?model=fashion-mlp&sample=700');
    expect(j.class).toBe(p.predicted.class);
    j.probabilities.forEach((v, c) => expect(v).toBeCloseTo(p.probabilities[c]!, 5));
    expect(j.attribution.shape).toEqual([28, 28]);
    expect(j.attribution.layout).toBe('HW');
    expect(j.attribution.data).toHaveLength(784);
    expect(j.parameters).toEqual({ n: 50, sigma: 0.15, seed: 0 });
    expect(j.work.rows).toBe(51);
    expect(j.url).toBe(`/api/v1/attribute?${new URLSearchParams(j.params as Record<string, string>).toString().replace(/%2F/g, '/')}`.replace(/\+/g, '%20'));
  });

  it('gradcam: the last convolution after its ReLU, upsampled to the input, never negative', async () => {
    const j = await getJson<AttributionJson>('/api/v1/attribute?model=fashion-cnn&sample=100&class=Trouser&method=gradcam&format=json');
    expect(j.cam!.layer).toBe('conv2d/Relu');
    expect(j.cam!.shape).toEqual([26, 26]);
    expect(j.parameters).toEqual({ layer: 'conv2d/Relu' });
    expect(j.attribution.shape).toEqual([28, 28]);
    expect(Math.min(...j.attribution.data)).toBeGreaterThanOrEqual(0);
    const named = await getJson<AttributionJson>('/api/v1/attribute?model=fashion-cnn&sample=100&class=Trouser&method=gradcam&format=json&layer=conv2d/Conv2D');
    expect(named.cam!.layer).toBe('conv2d/Conv2D');
  });
});

describe('attribute: keys, caching, uploads of images', () => {
  it('equivalent URLs share one canonical key; a POSTed PNG shares the key of the same pixels in x', async () => {
    const a = await get('/api/v1/attribute?model=fashion-cnn&sample=3&class=9&method=gradient');
    const b = await get('/api/v1/attribute?method=gradient&class=Ankle%20boot&sample=3&model=fashion-cnn');
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
    expect(b.headers.get('x-ascent-cache')).toBe('hit');
    const again = await get('/api/v1/attribute?model=fashion-cnn&sample=3&class=9&method=gradient', { headers: { 'if-none-match': a.headers.get('etag')! } });
    expect(again.status).toBe(304);

    const sample = await getJson<{ x: string }>('/api/v1/samples/3');
    const viaX = await get(`/api/v1/attribute?model=fashion-cnn&x=${sample.x}&method=gradxinput&format=json`);
    const pixels = Uint8Array.from(atob(sample.x.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));
    const png = encode({ width: 28, height: 28, data: pixels, channels: 1, depth: 8 });
    const viaPost = await get('/api/v1/attribute?model=fashion-cnn&method=gradxinput&format=json', { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
    expect(viaPost.status).toBe(200);
    expect(viaPost.headers.get('x-ascent-params')).toBe(viaX.headers.get('x-ascent-params'));
    expect(await viaPost.json()).toEqual(await viaX.json());
  });

  it('overlay=1 draws the input under the map: where the map is zero the input shows in gray', async () => {
    const r = await get('/api/v1/attribute?model=fashion-mlp&sample=0&method=integrated&overlay=1&scale=1');
    const img = decode(new Uint8Array(await r.arrayBuffer()));
    // integrated from black is zero where the input is black: those pixels stay black
    const sample = await getJson<{ x: string }>('/api/v1/samples/0');
    const pixels = Uint8Array.from(atob(sample.x.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0));
    let black = 0;
    for (let i = 0; i < 784; i++) {
      if (pixels[i] !== 0) continue;
      black++;
      expect([img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]]).toEqual([0, 0, 0]);
    }
    expect(black).toBeGreaterThan(100);
  });
});

describe('attribute: mistakes are problems naming the parameter', () => {
  const cases: [string, number, string][] = [
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=occlusion', 400, 'method'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=gradient&steps=64', 400, 'steps'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=integrated&n=8', 400, 'n'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=gradient&seed=3', 400, 'seed'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=integrated&layer=dense/Relu', 400, 'layer'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&method=gradcam', 400, 'method'],
    ['/api/v1/attribute?model=fashion-cnn&sample=1&method=gradcam&layer=nope', 400, 'layer'],
    ['/api/v1/attribute?model=fashion-cnn&sample=1&method=gradcam&layer=dense/Relu', 400, 'layer'],
    ['/api/v1/attribute?model=fashion-mlp', 400, 'sample'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&x=AAAA', 400, 'x'],
    ['/api/v1/attribute?model=fashion-mlp&x=AAAA', 400, 'x'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&class=Hat', 400, 'class'],
    ['/api/v1/attribute?model=fashion-mlp&sample=1&clas=3', 400, 'clas'],
    ['/api/v1/attribute?model=nope&sample=1', 404, 'model'],
  ];
  it.each(cases)('%s -> %i (%s)', async (path, status, parameter) => {
    const p = await expectProblem(await get(path), status);
    expect(p.parameter).toBe(parameter);
  });

  it('refuses work over the CPU budget before computing (422)', async () => {
    // a deployment with MAX_CPU_MS=40: 4096 path points on fashion-cnn do not fit
    const worker = createWorker();
    const ctx = createExecutionContext();
    const r = await worker.fetch(new Request(`${BASE}/api/v1/attribute?model=fashion-cnn&sample=1&method=integrated&steps=4096`), { ...(env as unknown as Env), MAX_CPU_MS: '40' }, ctx);
    await waitOnExecutionContext(ctx);
    const p = await expectProblem(r, 422);
    expect(p.detail).toMatch(/^This integrated request needs about [\d,]+ ms of CPU time; the limit is 40 ms per request/);
  });

  it('refuses a POST that is not a PNG of the model\'s size', async () => {
    await expectProblem(await get('/api/v1/attribute?model=fashion-mlp', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }), 415);
    await expectProblem(await get('/api/v1/attribute?model=fashion-mlp', { method: 'POST', body: 'hello', headers: { 'content-type': 'image/png' } }), 400);
    const big = encode({ width: 30, height: 30, data: new Uint8Array(900), channels: 1, depth: 8 });
    const p = await expectProblem(await get('/api/v1/attribute?model=fashion-mlp', { method: 'POST', body: big, headers: { 'content-type': 'image/png' } }), 400);
    expect(p.detail).toMatch(/30x30/);
  });
});

describe('openapi', () => {
  it('describes /api/v1/attribute with every parameter', async () => {
    const doc = await getJson<{ paths: Record<string, { get: { parameters: { name: string }[] } }> }>('/api/v1/openapi.json');
    const names = doc.paths['/api/v1/attribute']!.get.parameters.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['model', 'class', 'method', 'target', 'sample', 'x', 'n', 'sigma', 'steps', 'baseline', 'seed', 'layer', 'format', 'scale', 'colormap', 'overlay']));
  });
});
