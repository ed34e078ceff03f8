/**
 * The hostile catalogue (test/hostile/catalogue.ts: several hundred requests and files sent to every endpoint),
 * refused bodies and the issue's measured cases. Every answer is a 2xx or a 4xx problem+json, a 200 carries no NaN
 * or infinity, and the worker goes on serving after each refusal.
 */
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { hostileCatalogue, type Case } from '../hostile/catalogue.js';
import { chainModel, manyClasses, namedHostileFiles } from '../hostile/onnx.js';
import { grayPng, namedHostilePngs } from '../hostile/png.js';
import { get } from './helpers.js';

const png = (body: Uint8Array, type = 'image/png'): RequestInit => ({ method: 'POST', body, headers: { 'content-type': type } });

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
  const groups = hostileCatalogue(new Uint8Array(mlpBytes));

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

  it('exemplars: 64 test images at scale 32 are refused for their memory and size; at the default scale they are served', async () => {
    await overLimit(await get('/api/v1/exemplars?model=fashion-mlp&class=7&k=64&scale=32'), 'memoryBytes', /A grid of 64 test images at scale 32 needs up to [\d,.]+ MiB of memory; the limit is 64 MiB.*Lower k or scale/);
    const fits = await get('/api/v1/exemplars?model=fashion-mlp&class=7&k=64');
    expect(fits.status, await fits.clone().text()).toBe(200);
    expect(fits.headers.get('content-type')).toBe('image/png');
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
