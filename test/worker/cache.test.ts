/** Same query, same bytes: strong ETags, immutable caching, canonical keys, 304s, and the Cache API. */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { get, getJson, type MaximizeJson } from './helpers.js';

describe('results are addressable and cacheable forever', () => {
  it('gives equivalent URLs one ETag (parameter order, labels, spelled-out defaults)', async () => {
    const a = await get('/api/v1/maximize?model=fashion-mlp&class=7');
    const b = await get('/api/v1/maximize?class=Sneaker&model=fashion-mlp');
    const c = await get('/api/v1/maximize?model=fashion-mlp&class=sneaker&steps=256&optimizer=adam&target=logit&init=normal&seed=0');
    const d = await get('/api/v1/maximize?model=fashion-mlp&class=7&steps=255');
    for (const r of [a, b, c, d]) expect(r.status).toBe(200);
    expect(a.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    expect(c.headers.get('etag')).toBe(a.headers.get('etag'));
    expect(d.headers.get('etag')).not.toBe(a.headers.get('etag'));
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(a.headers.get('access-control-allow-origin')).toBe('*');
    // the second and third came from the cache, byte for byte
    expect(b.headers.get('x-ascent-cache')).toBe('hit');
    const [ba, bb] = [new Uint8Array(await a.arrayBuffer()), new Uint8Array(await b.arrayBuffer())];
    expect(bb).toEqual(ba);
    await c.arrayBuffer();
    await d.arrayBuffer();
  });

  it('puts the numbers of a PNG result in its headers, equal to those of its JSON twin', async () => {
    const png = await get('/api/v1/maximize?model=fashion-mlp&class=4&steps=48', { headers: { origin: 'https://blog.example' } });
    expect(png.headers.get('x-ascent-cache')).toBe('miss');
    const img = decode(new Uint8Array(await png.arrayBuffer()));
    const json = await get('/api/v1/maximize?model=fashion-mlp&class=Coat&steps=48&format=json');
    const j = (await json.json()) as MaximizeJson;
    expect(Number(png.headers.get('x-ascent-probability'))).toBe(j.probability);
    expect(Number(png.headers.get('x-ascent-predicted'))).toBe(j.predicted.class);
    expect(Number(png.headers.get('x-ascent-objective'))).toBe(j.objective);
    expect(png.headers.get('access-control-expose-headers')).toContain('X-Ascent-Probability');
    const scale = img.width / 28;
    for (let i = 0; i < 784; i++) {
      const [y, x] = [Math.floor(i / 28), i % 28];
      expect(img.data[(y * scale * img.width + x * scale) * img.channels]).toBe(j.image.levels[i]);
    }
  });

  it('answers If-None-Match with 304 and no body', async () => {
    const a = await get('/api/v1/maximize?model=fashion-mlp&class=2&steps=32');
    const etag = a.headers.get('etag')!;
    await a.arrayBuffer();
    const b = await get('/api/v1/maximize?model=fashion-mlp&class=Pullover&steps=32', { headers: { 'if-none-match': etag } });
    expect(b.status).toBe(304);
    expect(b.headers.get('etag')).toBe(etag);
    expect(await b.text()).toBe('');
  });

  it('is deterministic: two separate computations give the same bytes', async () => {
    // format=json and format=png are different cache entries, so both are computed; their pixels must agree
    const url = '/api/v1/maximize?model=fashion-cnn&class=Coat&init=uniform&seed=42&jitter=1&steps=64';
    const png = await get(`${url}&scale=1`);
    expect(png.headers.get('x-ascent-cache')).toBe('miss');
    const img = decode(new Uint8Array(await png.arrayBuffer()));
    const j = await getJson<MaximizeJson>(`${url}&format=json`);
    expect(Array.from(img.data)).toEqual(j.image.levels);
    // and a different seed gives a different image
    const other = await getJson<MaximizeJson>('/api/v1/maximize?model=fashion-cnn&class=Coat&init=uniform&seed=43&jitter=1&steps=64&format=json');
    expect(other.image.levels).not.toEqual(j.image.levels);
  });
});
