import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { get, getJson } from './helpers.js';

describe('predict', () => {
  it('classifies a shipped test image', async () => {
    const s = await getJson<{ class: number; label: string }>('/api/v1/samples/250');
    const p = await getJson<{ predicted: { class: number }; probabilities: number[]; sample: { class: number } }>('/api/v1/predict?model=fashion-cnn&sample=250');
    expect(p.sample.class).toBe(s.class);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('classifies a POSTed PNG the same way as the same pixels in the query', async () => {
    const png = new Uint8Array(await (await get('/api/v1/samples/702?format=png')).arrayBuffer());
    const viaPost = await get('/api/v1/predict?model=fashion-mlp', { method: 'POST', body: png, headers: { 'content-type': 'image/png' } });
    expect(viaPost.status).toBe(200);
    const a = (await viaPost.json()) as { probabilities: number[] };
    const b = await getJson<{ probabilities: number[] }>('/api/v1/predict?model=fashion-mlp&sample=702');
    expect(a.probabilities).toEqual(b.probabilities);
  });
});

describe('samples', () => {
  it('lists 100 test images per class and serves each as JSON and PNG', async () => {
    const list = await getJson<{ count: number; classes: { count: number }[] }>('/api/v1/samples');
    expect(list.count).toBe(1000);
    expect(list.classes.map((c) => c.count)).toEqual(Array(10).fill(100));
    const img = decode(new Uint8Array(await (await get('/api/v1/samples/3?format=png&scale=2')).arrayBuffer()));
    expect([img.width, img.height]).toEqual([56, 56]);
  });
});

describe('openapi.json', () => {
  it('documents every maximize parameter with the bounds the validator enforces', async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, { get?: { parameters?: { name: string; schema: Record<string, unknown> }[] } }> }>('/api/v1/openapi.json');
    expect(doc.openapi).toBe('3.1.0');
    const params = doc.paths['/api/v1/maximize']!.get!.parameters!;
    const steps = params.find((p) => p.name === 'steps')!;
    expect(steps.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 4096, default: 256 });
    const optimizer = params.find((p) => p.name === 'optimizer')!;
    expect(optimizer.schema.enum).toEqual(['adam', 'sgd', 'normalized', 'sign', 'rmsprop']);
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['model', 'class', 'eps', 'norm', 'mask', 'x', 'sample', 'restarts', 'format']));
  });
});

describe('CORS', () => {
  const exposed = 'ETag,X-Ascent-Cache,X-Ascent-Params,X-Ascent-Probability,X-Ascent-Predicted,X-Ascent-Objective,X-Ascent-Samples,X-Ascent-Warning,X-Ascent-Class,X-Ascent-Completeness';

  it('lets any origin read every answer and its Ascent headers: images, JSON, problems, event streams', async () => {
    const answers = [
      await get('/api/v1/maximize?model=fashion-mlp&class=7&steps=3'),
      await get('/api/v1/models'),
      await get('/api/v1/maximize?model=fashion-mlp&clas=7'),
      await get('/api/v1/no-such'),
      await get('/api/v1/maximize/events?model=fashion-mlp&class=7&steps=3'),
    ];
    for (const r of answers) {
      await r.arrayBuffer();
      expect(r.headers.get('access-control-allow-origin'), r.url).toBe('*');
      expect(r.headers.get('access-control-expose-headers'), r.url).toBe(exposed);
    }
    expect(answers.map((r) => r.status)).toEqual([200, 200, 400, 404, 200]);
    // an event stream is never stored
    expect(answers[4]!.headers.get('cache-control')).toBe('no-store');
  });

  it('answers a preflight', async () => {
    const r = await get('/api/v1/maximize?model=fashion-mlp&class=7', {
      method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'If-None-Match' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('GET');
    expect(r.headers.get('access-control-allow-headers')).toBe('If-None-Match');
    expect(r.headers.get('access-control-max-age')).toBe('86400');
  });
});
