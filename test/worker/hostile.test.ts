/**
 * The hostile catalogue: several hundred requests and files sent to every endpoint (queries with hostile values,
 * lying PNGs, ONNX files that ask for too much, refused bodies, wrong methods). Every answer is a 2xx or a 4xx
 * problem+json, a 200 carries no NaN or infinity, and the worker goes on serving after each refusal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { arbModel, arbMutation, chainModel, encodeModelProto, manyClasses, namedHostileFiles } from '../hostile/onnx.js';
import { arbPng, grayPng, namedHostilePngs } from '../hostile/png.js';
import { attributeQuery } from '../../functions/api/params/attribute.js';
import { exemplarsQuery } from '../../functions/api/params/exemplars.js';
import { maximizeQuery } from '../../functions/api/params/maximize.js';
import { predictQuery } from '../../functions/api/params/predict.js';
import { sampleQuery } from '../../functions/api/params/samples.js';
import { get } from './helpers.js';

interface Case {
  name: string;
  path: string;
  init?: RequestInit;
}

const SEED = 14;

/** Values a hostile client puts in a query: non-finite and huge numbers, odd spellings, long and odd text. */
const VALUES = ['0', '-1', '7', '0.5', '1e308', '-1e308', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '1e-400', ' 5',
  '', 'Sneaker', 'fashion-cnn', 'json', 'png', 'gif', 'all', 'natural', 'viridis', '4096', '4097', '64', '65', '32', '2e9',
  '4294967296', '%', '\u0000', '😀', 'a'.repeat(5000), '1,2,3,4', 'AAAA', '==', '__proto__', '-0'];

/** The parameters of each endpoint (and a base query that works), mutated one or two at a time. */
const names = (schema: { shape: object }, ...extra: string[]) => [...Object.keys(schema.shape), ...extra];
const ENDPOINTS: { path: string; base: Record<string, string>; names: string[]; runs: number }[] = [
  { path: '/api/v1/maximize', base: { model: 'fashion-mlp', class: '7', steps: '2' }, runs: 120, names: names(maximizeQuery, 'clas') },
  { path: '/api/v1/maximize/events', base: { model: 'fashion-mlp', class: '7', steps: '2' }, runs: 20, names: names(maximizeQuery) },
  { path: '/api/v1/predict', base: { model: 'fashion-mlp', sample: '1' }, runs: 50, names: names(predictQuery, 'format') },
  { path: '/api/v1/attribute', base: { model: 'fashion-mlp', sample: '1' }, runs: 40, names: names(attributeQuery) },
  { path: '/api/v1/exemplars', base: { model: 'fashion-mlp', class: '7' }, runs: 50, names: names(exemplarsQuery) },
  { path: '/api/v1/samples/3', base: {}, runs: 15, names: names(sampleQuery, 'k') },
  { path: '/api/v1/models', base: {}, runs: 10, names: ['title', 'labels', 'min'] },
];

function queryCases(): Case[] {
  const cases: Case[] = [];
  for (const e of ENDPOINTS) {
    const mutation = fc.array(fc.tuple(fc.constantFrom(...e.names), fc.constantFrom(...VALUES)), { minLength: 1, maxLength: 2 });
    for (const pairs of fc.sample(mutation, { seed: SEED, numRuns: e.runs })) {
      const q = new URLSearchParams(e.base);
      for (const [k, v] of pairs) q.set(k, v);
      cases.push({ name: `GET ${e.path} ${pairs.map(([k, v]) => `${k}=${v.slice(0, 12)}`).join(' ')}`, path: `${e.path}?${q}` });
    }
  }
  for (const id of ['fashion-mlp', 'nope', 'u-' + '0'.repeat(32), '..%2F..%2Fwrangler.toml', 'a'.repeat(3000)]) {
    cases.push({ name: `GET model ${id.slice(0, 20)}`, path: `/api/v1/models/${id}` });
    cases.push({ name: `DELETE model ${id.slice(0, 20)}`, path: `/api/v1/models/${id}`, init: { method: 'DELETE', headers: { authorization: 'Bearer x' } } });
  }
  for (const s of ['-1', '1000', '1e3', 'NaN', '0x1', '99999999999999999999']) cases.push({ name: `GET sample ${s}`, path: `/api/v1/samples/${s}` });
  return cases;
}

const png = (body: Uint8Array, type = 'image/png'): RequestInit => ({ method: 'POST', body, headers: { 'content-type': type } });

function pngCases(): Case[] {
  const files = [...namedHostilePngs(), ...fc.sample(arbPng, { seed: SEED, numRuns: 40 }).map((bytes, i) => ({ name: `generated PNG ${i}`, bytes }))];
  return files.map((f) => ({ name: `POST predict: ${f.name}`, path: '/api/v1/predict?model=fashion-mlp', init: png(f.bytes) }));
}

function uploadCases(): Case[] {
  const valid = new Uint8Array(mlpBytes);
  const files = [
    ...namedHostileFiles(),
    ...fc.sample(arbModel, { seed: SEED, numRuns: 30 }).map((m, i) => ({ name: `generated model ${i}`, bytes: encodeModelProto(m) })),
    ...fc.sample(arbMutation(valid), { seed: SEED, numRuns: 20 }).map((bytes, i) => ({ name: `mutated fashion-mlp ${i}`, bytes })),
  ];
  const post = (body: BodyInit, type = 'application/octet-stream'): RequestInit => ({ method: 'POST', body, headers: { 'content-type': type } });
  return [
    ...files.map((f) => ({ name: `upload: ${f.name}`, path: '/api/v1/models', init: post(f.bytes) })),
    ...['min=-1e308&max=1e308', 'min=1&max=1', 'max=1e39', 'mean=1e308&std=1e-308', 'std=0', 'labels=a', `labels=${Array(2000).fill('a').join(',')}`, 'title=']
      .map((q) => ({ name: `upload described ${q.slice(0, 30)}`, path: `/api/v1/models?${q}`, init: post(valid) })),
    { name: 'upload: multipart without a model part', path: '/api/v1/models', init: { method: 'POST', body: '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } } },
    { name: 'upload: JSON body', path: '/api/v1/models', init: post('{"model":1}', 'application/json') },
  ];
}

const METHOD_CASES: Case[] = [
  { name: 'PUT maximize', path: '/api/v1/maximize?model=fashion-mlp&class=1', init: { method: 'PUT', body: 'x' } },
  { name: 'PATCH models', path: '/api/v1/models/fashion-mlp', init: { method: 'PATCH', body: 'x' } },
  { name: 'POST samples', path: '/api/v1/samples', init: { method: 'POST', body: new Uint8Array(4096) } },
  { name: 'POST predict as text', path: '/api/v1/predict?model=fashion-mlp', init: png(grayPng(28, 28), 'text/plain') },
  { name: 'POST predict of an unknown model', path: '/api/v1/predict?model=nope', init: png(grayPng(28, 28)) },
];

/** A finding in a 200's JSON: a number that is not finite (JSON writes NaN and infinity as null). */
function nonFinite(value: unknown, path = '$'): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      if (v === null) return `${path}[${i}] is null`;
      const found = nonFinite(v, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = nonFinite(v, `${path}.${k}`);
      if (found) return found;
    }
  } else if (typeof value === 'number' && !Number.isFinite(value)) return `${path} is ${value}`;
  return undefined;
}

async function check(c: Case): Promise<void> {
  const r = await get(c.path, c.init);
  const type = r.headers.get('content-type') ?? '';
  const body = new Uint8Array(await r.arrayBuffer());
  const text = () => new TextDecoder().decode(body);
  expect(r.status, `${c.name} -> ${r.status} ${text().slice(0, 300)}`).toBeLessThan(500);
  if (r.status >= 400) {
    expect(type, c.name).toContain('application/problem+json');
    expect((JSON.parse(text()) as { detail: string }).detail.length).toBeGreaterThan(10);
  } else if (type.includes('json')) {
    expect(text(), c.name).not.toMatch(/\bNaN\b|\bInfinity\b/);
    expect(nonFinite(JSON.parse(text())), c.name).toBeUndefined();
  } else if (type.includes('event-stream')) {
    expect(text(), c.name).not.toMatch(/\bNaN\b|\bInfinity\b|"status":5\d\d/);
  }
}

describe('the hostile catalogue', () => {
  const groups: [string, Case[]][] = [['queries', queryCases()], ['PNG bodies', pngCases()], ['uploads', uploadCases()], ['methods and media types', METHOD_CASES]];

  it('holds several hundred cases', () => {
    expect(groups.reduce((n, [, cases]) => n + cases.length, 0)).toBeGreaterThanOrEqual(400);
  });

  for (const [group, cases] of groups) {
    it(`${group}: ${cases.length} requests, each a 2xx or a 4xx problem, no NaN in a 200`, async () => {
      const took: [number, string][] = [];
      for (const c of cases) {
        const start = Date.now();
        await check(c);
        took.push([Date.now() - start, c.name]);
      }
      took.sort((a, b) => b[0] - a[0]);
      console.log(`${group}: ${cases.length} requests in ${took.reduce((n, [ms]) => n + ms, 0)} ms; slowest: ${took.slice(0, 4).map(([ms, name]) => `${name.slice(0, 60)} ${ms} ms`).join('; ')}`);
    }, 300_000);
  }
});

describe('refused bodies', () => {
  /** A body sent in chunks without a declared length. */
  const chunked = (bytes: number): ReadableStream<Uint8Array> => {
    let sent = 0;
    return new ReadableStream({
      pull(controller) {
        if (sent >= bytes) return controller.close();
        const n = Math.min(65536, bytes - sent);
        sent += n;
        controller.enqueue(new Uint8Array(n));
      },
    });
  };

  it('a 413 for a chunked body over the limit, then the next requests are served', async () => {
    for (const path of ['/api/v1/predict?model=fashion-mlp', '/api/v1/models']) {
      const r = await get(path, { method: 'POST', body: chunked(path.includes('predict') ? 2 * 1024 * 1024 : 17 * 1024 * 1024), headers: { 'content-type': path.includes('predict') ? 'image/png' : 'application/octet-stream' }, duplex: 'half' } as RequestInit);
      expect(r.status).toBe(413);
      await r.arrayBuffer();
      const next = await get('/api/v1/predict?model=fashion-mlp', png(grayPng(28, 28)));
      expect(next.status, await next.clone().text()).toBe(200);
      expect((await get('/api/v1/models')).status).toBe(200);
    }
  });
});

describe('the measured cases, each refused before its memory is spent', () => {
  const upload = (bytes: Uint8Array, query = '') => get(`/api/v1/models${query}`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  const file = (name: string) => namedHostileFiles().find((f) => f.name === name)!.bytes;

  it.each([
    ['Conv with stride 0', /strides \[0, 0\] must be integers >= 1/],
    ['MaxPool with stride 0', /strides \[0, 0\]/],
    ['initializer [8192, 8192] without data', /8192/],
    ['Pad by 100,000 on each side', /would hold 40,011,200,784 elements per sample/],
    ['ConstantOfShape [65536, 65536]', /would hold 4,294,967,296 elements/],
    ['4,997 chained Relu nodes', /at most 1,000 are accepted/],
    ['998 chained Elu nodes', /a gradient program of 4,999 nodes on onnxruntime\) would need about [\d,]+ ms of CPU time; a request may use 5,000 ms/],
  ])('upload: %s', async (name, detail) => {
    const r = await upload(file(name));
    const text = await r.text();
    expect(r.status, text).toBeGreaterThanOrEqual(400);
    expect(r.status, text).toBeLessThan(500);
    expect(JSON.parse(text).detail).toMatch(detail);
  });

  it('upload: 998 chained Relu nodes run on the kernel: admitted, and the default URL answers', async () => {
    const up = await upload(chainModel(998, 'Relu'));
    expect(up.status, await up.clone().text()).toBe(201);
    const { id, engine } = (await up.json()) as { id: string; engine: string };
    expect(engine).toBe('kernel');
    const r = await get(`/api/v1/maximize?model=${id}&class=3`);
    expect(r.status, await r.clone().text()).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
  });

  it('upload: a pixel range whose width is not a finite number', async () => {
    const r = await upload(new Uint8Array(mlpBytes), '?min=-1e308&max=1e308');
    expect(r.status, await r.clone().text()).toBe(400);
    expect(((await r.json()) as { parameter: string }).parameter).toMatch(/min|max/);
  });

  /** A 422 over-budget problem naming `resource` with its limit and a larger estimate. */
  async function overLimit(r: Response, resource: 'memoryBytes' | 'responseBytes', words: RegExp) {
    const text = await r.text();
    expect(r.status, text).toBe(422);
    const p = JSON.parse(text) as { detail: string; limit: Record<string, number>; requested: Record<string, number> };
    expect(p.detail).toMatch(words);
    expect(p.requested[resource]).toBeGreaterThan(p.limit[resource]!);
  }

  it('maximize: 64 restarts, all shown at scale 32 in colour, is refused for its memory and size; at the default scale it is served', async () => {
    const q = 'model=fashion-mlp&class=7&restarts=64&pick=all&steps=1';
    const r = await get(`/api/v1/maximize?${q}&scale=32&colormap=viridis`);
    await overLimit(r, 'responseBytes', /up to [\d,.]+ MiB of memory; the limit is 64 MiB; up to [\d,.]+ MiB of response body; the limit is 16 MiB/);
    const fits = await get(`/api/v1/maximize?${q}`);
    expect(fits.status).toBe(200);
    expect((await fits.arrayBuffer()).byteLength).toBeLessThan(16 * 1024 * 1024);
  });

  it('maximize: a 100,000-class upload answers one image, and refuses every restart listed in JSON', async () => {
    const file = manyClasses(100_000);
    expect(file.byteLength).toBeLessThan(1024);
    const up = await upload(file);
    expect(up.status, await up.clone().text()).toBe(201);
    const { id } = (await up.json()) as { id: string };
    const one = await get(`/api/v1/maximize?model=${id}&class=7&steps=1&format=json`);
    expect(one.status, await one.clone().text()).toBe(200);
    expect(((await one.json()) as { probabilities: number[] }).probabilities).toHaveLength(100_000);
    await overLimit(await get(`/api/v1/maximize?model=${id}&class=7&steps=1&format=json&restarts=64&pick=all`), 'responseBytes', /of response body; the limit is 16 MiB.*pick=best/);
  });

  it('predict: a PNG declaring 20000x20000 pixels', async () => {
    const bomb = namedHostilePngs().find((f) => f.name === 'header of 20000x20000 pixels')!.bytes;
    const r = await get('/api/v1/predict?model=fashion-mlp', png(bomb));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/20000/);
  });
});
