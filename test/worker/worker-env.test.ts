/**
 * The Worker entry (functions/worker.ts) with the bindings a deployment gives it: the UPLOAD_TOKEN secret, and the
 * MODELS bucket as seen by a cold isolate. Each test starts a new Worker (createWorker), which is what a new isolate
 * runs: no app, no compiled programs, no results in memory.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { createWorker, type Env } from '../../functions/worker.js';
import { BASE, expectProblem, type MaximizeJson } from './helpers.js';

const bucket = (env as unknown as { MODELS: R2Bucket }).MODELS;

/** A new isolate: a new Worker, called with `bindings`. */
async function coldWorker(bindings: Partial<Env>): Promise<(path: string, init?: RequestInit) => Promise<Response>> {
  const worker = createWorker();
  return async (path, init) => {
    const ctx = createExecutionContext();
    const r = await worker.fetch(new Request(`${BASE}${path}`, init), { ...(env as unknown as Env), ...bindings }, ctx);
    await waitOnExecutionContext(ctx);
    return r;
  };
}

/** The bucket, with every get and put of a key under programs/ written down. */
function watched(): { bucket: R2Bucket; reads: string[]; writes: string[] } {
  const reads: string[] = [];
  const writes: string[] = [];
  const proxy = new Proxy(bucket, {
    get(target, name) {
      const value = Reflect.get(target, name) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const key = args[0];
        if (typeof key === 'string' && key.startsWith('programs/')) (name === 'put' ? writes : name === 'get' ? reads : []).push(key);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { bucket: proxy, reads, writes };
}

describe('UPLOAD_TOKEN', () => {
  it('when the deployment sets it, uploads need it as a bearer token, and it may delete any upload', async () => {
    const fetch = await coldWorker({ UPLOAD_TOKEN: 's3cret' });
    const send = (auth?: string) => fetch('/api/v1/models?title=token', {
      method: 'POST', body: new Uint8Array(mlpBytes), headers: { 'content-type': 'application/octet-stream', ...(auth ? { authorization: auth } : {}) },
    });
    expect((await expectProblem(await send(), 401)).detail).toMatch(/Bearer/);
    await expectProblem(await send('Bearer wrong'), 401);
    const ok = await send('Bearer s3cret');
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    const del = await fetch(`/api/v1/models/${id}`, { method: 'DELETE', headers: { authorization: 'Bearer s3cret' } });
    expect(del.status).toBe(204);
  });

});

describe('a cold isolate', () => {
  it("reuses an upload's compiled program kept in R2 instead of compiling again", async () => {
    const up = await (await coldWorker({}))('/api/v1/models?title=cold', { method: 'POST', body: new Uint8Array(mlpBytes), headers: { 'content-type': 'application/octet-stream' } });
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    const url = `/api/v1/maximize?model=${id}&class=4&steps=16`;
    // the program the upload kept is removed, so that the first isolate has to compile
    const { content } = JSON.parse(await (await bucket.get(`uploads/${id}/record.json`))!.text()) as { content: string };
    await bucket.delete((await bucket.list({ prefix: `programs/${content}/` })).objects.map((o) => o.key));

    // the first isolate finds no program: it compiles one and keeps it
    const first = watched();
    const a = await (await coldWorker({ MODELS: first.bucket }))(`${url}&format=json`);
    expect(a.headers.get('x-ascent-cache')).toBe('miss');
    const computed = (await a.json()) as MaximizeJson;
    expect(first.writes.filter((k) => k.endsWith('.onnx'))).toHaveLength(1);

    // the next one reads it and writes nothing, and computes the same result from it
    const next = watched();
    const b = await (await coldWorker({ MODELS: next.bucket }))(`${url}&format=png&scale=1`);
    expect(b.headers.get('x-ascent-cache')).toBe('miss');
    expect(next.reads).toEqual(expect.arrayContaining(first.writes));
    expect(next.writes).toEqual([]);
    expect(Array.from(decode(new Uint8Array(await b.arrayBuffer())).data)).toEqual(computed.image.levels);
  });
});
