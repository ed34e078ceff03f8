/**
 * /api/v1/exemplars inside workerd: the grid PNG and the JSON list of the test images a model scores highest,
 * ranked consistently with /api/v1/predict, for built-in models and an upload, cached like every result.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import mlpBytes from '../../models/fashion-mlp.onnx';
import { expectProblem, get, getJson } from './helpers.js';

interface Listing {
  class: number;
  label: string;
  items: { sample: number; score: number; probability: number; class: number; label: string }[];
}

describe('exemplars', () => {
  it('lists the k best test images in order, with the scores and probabilities predict gives them', async () => {
    const top = await getJson<Listing>('/api/v1/exemplars?model=fashion-cnn&class=Trouser&k=12&format=json');
    expect(top.class).toBe(1);
    expect(top.items).toHaveLength(12);
    for (let i = 1; i < top.items.length; i++) expect(top.items[i]!.score).toBeLessThanOrEqual(top.items[i - 1]!.score);
    // the model's favourite real trousers are trousers
    expect(top.items.filter((i) => i.label === 'Trouser').length).toBeGreaterThanOrEqual(10);
    for (const item of top.items.slice(0, 2)) {
      const p = await getJson<{ logits: number[]; probabilities: number[] }>(`/api/v1/predict?model=fashion-cnn&sample=${item.sample}`);
      expect(item.score).toBeCloseTo(p.logits[1]!, 4);
      expect(item.probability).toBeCloseTo(p.probabilities[1]!, 5);
    }
    const bottom = await getJson<Listing>('/api/v1/exemplars?model=fashion-cnn&class=1&k=12&order=bottom&format=json');
    expect(bottom.items[0]!.score).toBeLessThan(top.items.at(-1)!.score);
    for (let i = 1; i < bottom.items.length; i++) expect(bottom.items[i]!.score).toBeGreaterThanOrEqual(bottom.items[i - 1]!.score);
  });

  it('draws them as a grid PNG with white separators, cached forever under one ETag', async () => {
    const r = await get('/api/v1/exemplars?model=fashion-mlp&class=Bag');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const img = decode(new Uint8Array(await r.arrayBuffer()));
    // 9 images of 28 px enlarged 3 times, 3 to a row, 2 px apart
    expect([img.width, img.height]).toEqual([3 * 84 + 4, 3 * 84 + 4]);
    expect(img.data[84 * img.channels]).toBe(255);
    const listed = r.headers.get('x-ascent-samples')!.split(',').map(Number);
    const json = await getJson<Listing>('/api/v1/exemplars?model=fashion-mlp&class=8&format=json');
    expect(json.items.map((i) => i.sample)).toEqual(listed);
    const again = await get('/api/v1/exemplars?class=bag&k=9&target=logit&order=top&model=fashion-mlp');
    expect(again.headers.get('etag')).toBe(r.headers.get('etag'));
    expect(again.headers.get('x-ascent-cache')).toBe('hit');
    await again.arrayBuffer();
    expect((await get('/api/v1/exemplars?model=fashion-mlp&class=Bag', { headers: { 'if-none-match': r.headers.get('etag')! } })).status).toBe(304);
  });

  it('works for an uploaded model with 28x28 gray input: the same ranking as the same network built in', async () => {
    const up = await get('/api/v1/models?title=mlp&labels=a,b,c,d,e,f,g,h,i,j', { method: 'POST', body: new Uint8Array(mlpBytes), headers: { 'content-type': 'application/octet-stream' } });
    const { id } = (await up.json()) as { id: string };
    expect(up.status).toBe(201);
    const uploaded = await getJson<Listing>(`/api/v1/exemplars?model=${id}&class=h&k=20&target=logprob&format=json`);
    const builtin = await getJson<Listing>('/api/v1/exemplars?model=fashion-mlp&class=7&k=20&target=logprob&format=json');
    expect(uploaded.label).toBe('h');
    expect(uploaded.items.map((i) => i.sample)).toEqual(builtin.items.map((i) => i.sample));
  });

  it('refuses bad requests with problem details', async () => {
    for (const [query, status, parameter] of [
      ['model=fashion-mlp&class=Hat', 400, 'class'],
      ['model=fashion-mlp&class=1&k=0', 400, 'k'],
      ['model=fashion-mlp&class=1&k=65', 400, 'k'],
      ['model=fashion-mlp&class=1&order=middle', 400, 'order'],
      ['model=fashion-mlp&class=1&target=energy', 400, 'target'],
      ['model=fashion-mlp', 400, 'class'],
      ['model=nope&class=1', 404, 'model'],
      ['model=fashion-mlp&class=1&kk=3', 400, 'kk'],
    ] as const) {
      const p = await expectProblem(await get(`/api/v1/exemplars?${query}`), status);
      expect(p.parameter, query).toBe(parameter);
    }
  });
});
