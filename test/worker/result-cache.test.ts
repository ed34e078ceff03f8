/** The result caches of functions/api/cache.ts: the isolate's memory (LRU by bytes) in front of the Cache API. */
import { describe, expect, it } from 'vitest';
import { memoryCache, tieredCache, type ResultCache } from '../../functions/api/cache.js';

const body = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const put = (c: ResultCache, key: string, n: number, fill = 1) =>
  c.put(key, { body: body(n, fill), headers: { 'content-type': 'image/png', etag: `"${key}"` } });

describe('memoryCache', () => {
  it('answers the same bytes and headers every time', async () => {
    const c = memoryCache(1024);
    await put(c, 'a', 100, 7);
    for (let i = 0; i < 3; i++) {
      const r = (await c.match('a'))!;
      expect(r.headers.get('etag')).toBe('"a"');
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(body(100, 7));
    }
    expect(await c.match('b')).toBeUndefined();
  });

  it('keeps a text body (a JSON result) as its UTF-8 bytes, with its status', async () => {
    const c = memoryCache(1024);
    await c.put('j', { body: '{"label":"Ankle boot — 7"}', status: 200, headers: { 'content-type': 'application/json' } });
    const r = (await c.match('j'))!;
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.json()).toEqual({ label: 'Ankle boot — 7' });
  });

  it('keeps at most its byte budget, dropping the least recently used first', async () => {
    const c = memoryCache(1000);
    await put(c, 'a', 100);
    await put(c, 'b', 100);
    await put(c, 'c', 100);
    await c.match('a'); // a is now the most recently used
    for (let i = 0; i < 9; i++) await put(c, `x${i}`, 100); // 1,200 bytes in all: two entries must go
    expect(await c.match('a')).toBeDefined();
    expect(await c.match('b')).toBeUndefined();
    expect(await c.match('c')).toBeUndefined();
    expect(await c.match('x8')).toBeDefined();
    // a body larger than an eighth of the budget is not kept at all
    await put(c, 'big', 200);
    expect(await c.match('big')).toBeUndefined();
  });
});

describe('tieredCache', () => {
  it('stores in both tiers, and copies a far hit near', async () => {
    const near = memoryCache(1024);
    const far = memoryCache(1024);
    const c = tieredCache(near, far);
    await put(c, 'a', 10, 3);
    expect(new Uint8Array(await (await near.match('a'))!.arrayBuffer())).toEqual(body(10, 3));
    expect(new Uint8Array(await (await far.match('a'))!.arrayBuffer())).toEqual(body(10, 3));
    await put(far, 'b', 10, 4); // e.g. computed by another isolate
    expect(await near.match('b')).toBeUndefined();
    expect(new Uint8Array(await (await c.match('b'))!.arrayBuffer())).toEqual(body(10, 4));
    expect(new Uint8Array(await (await near.match('b'))!.arrayBuffer())).toEqual(body(10, 4));
  });
});
