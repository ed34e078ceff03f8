/**
 * prior=fashion: the search runs in the code space of a learned generator, so the answer is an image of a
 * garment. For every class of both built-in models, the default request's image is the class with p >= 0.9 for
 * the model it was maximized on, and the other model agrees for at least 9 of 10 classes, each way. Plus the
 * contract every result keeps: determinism, canonical keys, caching, and clear 400s for what a prior cannot honour.
 */
import { describe, expect, it } from 'vitest';
import { base64url, expectProblem, get, getJson, type MaximizeJson } from './helpers.js';

const MODELS = ['fashion-mlp', 'fashion-cnn'] as const;

interface PriorJson extends MaximizeJson {
  prior: string | null;
  z: number[];
}

describe('prior=fashion on the built-in models', () => {
  for (const [source, judge] of [MODELS, [...MODELS].reverse()] as [string, string][]) {
    it(`${source}: every class at p >= 0.9, and ${judge} agrees for >= 9 of 10`, async () => {
      const report: string[] = [];
      let agree = 0;
      for (let k = 0; k < 10; k++) {
        const j = await getJson<PriorJson>(`/api/v1/maximize?model=${source}&class=${k}&prior=fashion&format=json`);
        expect(j.prior).toBe('fashion');
        expect(j.steps).toBe(128); // a prior's default: fewer steps than in pixel space
        expect(j.probability, `class ${k} (${j.label})`).toBeGreaterThanOrEqual(0.9);
        expect(j.predicted.class).toBe(k);
        const p = await getJson<{ predicted: { class: number }; probabilities: number[] }>(`/api/v1/predict?model=${judge}&x=${base64url(Uint8Array.from(j.image.levels))}`);
        if (p.predicted.class === k) agree++;
        report.push(`${j.label} ${j.probability!.toFixed(3)}/${p.probabilities[k]!.toFixed(3)}`);
      }
      console.log(`prior=fashion, maximized on ${source} / judged by ${judge}: ${report.join(', ')}; ${judge} agrees ${agree}/10`);
      expect(agree).toBeGreaterThanOrEqual(9);
    });
  }
});

describe('prior: the result contract', () => {
  it('carries z inside its ball, is deterministic, and equivalent URLs share one canonical key', async () => {
    const a = await get('/api/v1/maximize?model=fashion-mlp&class=Sneaker&prior=fashion&steps=32&format=json&seed=5');
    const b = await get('/api/v1/maximize?seed=5&format=json&steps=32&prior=fashion&class=7&model=fashion-mlp');
    expect(a.status).toBe(200);
    expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
    const ja = await a.json() as PriorJson;
    expect(await b.json()).toEqual(ja);
    expect(ja.z).toHaveLength(16);
    expect(Math.hypot(...ja.z)).toBeLessThanOrEqual(4 + 1e-5);
    expect(ja.params.prior).toBe('fashion');
    expect(ja.params.zmax).toBe(4);
    // the steps a prior search takes when left out are 128, and spelling them out names the same result
    const left = await get('/api/v1/maximize?model=fashion-mlp&class=7&prior=fashion');
    const spelled = await get('/api/v1/maximize?model=fashion-mlp&class=7&prior=fashion&steps=128');
    expect(spelled.headers.get('etag')).toBe(left.headers.get('etag'));
    expect(left.headers.get('x-ascent-params')).toContain('&steps=128&');
    // another seed: another start code, another image
    const c = await getJson<PriorJson>('/api/v1/maximize?model=fashion-mlp&class=7&prior=fashion&steps=32&format=json&seed=6');
    expect(c.z).not.toEqual(ja.z);
    // the PNG of the same computation, with its numbers in headers; a repeat is a cache hit with the same bytes
    const png1 = await get('/api/v1/maximize?model=fashion-mlp&class=7&prior=fashion&steps=32&seed=5');
    const png2 = await get('/api/v1/maximize?model=fashion-mlp&class=7&prior=fashion&steps=32&seed=5');
    expect(png1.headers.get('content-type')).toBe('image/png');
    expect(Number(png1.headers.get('x-ascent-probability'))).toBeCloseTo(ja.probability!, 6);
    expect(png2.headers.get('x-ascent-cache')).toBe('hit');
    expect(new Uint8Array(await png2.arrayBuffer())).toEqual(new Uint8Array(await png1.arrayBuffer()));
  });

  it('reports the probabilities of the 8-bit image it returns', async () => {
    const j = await getJson<PriorJson>('/api/v1/maximize?model=fashion-cnn&class=Bag&prior=fashion&steps=32&format=json');
    const p = await getJson<{ probabilities: number[] }>(`/api/v1/predict?model=fashion-cnn&x=${base64url(Uint8Array.from(j.image.levels))}`);
    expect(p.probabilities[8]).toBeCloseTo(j.probability!, 5);
  });

  it('keeps working with restarts, minus, target and zmax', async () => {
    const j = await getJson<PriorJson & { restarts: unknown[] }>('/api/v1/maximize?model=fashion-mlp&class=Shirt&minus=T-shirt/top&target=logprob&prior=fashion&restarts=3&zmax=2&steps=24&format=json');
    expect(j.restarts).toHaveLength(3);
    expect(Math.hypot(...j.z)).toBeLessThanOrEqual(2 + 1e-5);
    expect(j.params.zmax).toBe(2);
  });

  it('streams progress events, and maximizes a unit (layer, unit) through the prior', async () => {
    const r = await get('/api/v1/maximize/events?model=fashion-cnn&class=Trouser&prior=fashion&steps=16');
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const names = (await r.text()).split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7));
    expect(names.filter((n) => n === 'progress')).toHaveLength(16);
    expect(names.at(-1)).toBe('result');
    const j = await getJson<PriorJson>('/api/v1/maximize?model=fashion-mlp&layer=logits&unit=1&prior=fashion&steps=16&format=json');
    expect(j.prior).toBe('fashion');
    expect(j.z).toHaveLength(16);
  });

  it('lists the priors in /api/v1/models', async () => {
    const m = await getJson<{ priors: { id: string; input: { latent: number }; output: { shape: number[] } }[] }>('/api/v1/models');
    expect(m.priors.map((p) => p.id)).toEqual(['fashion', 'digits']);
    expect(m.priors[0]!.output.shape).toEqual([28, 28]);
  });

  it.each([
    ['prior=shoes', 'prior', /no prior "shoes"/],
    ['prior=fashion&eps=0.1', 'eps', /acts on pixels/],
    ['prior=fashion&mask=0,0,14,14', 'mask', /acts on pixels/],
    ['prior=fashion&sample=3', 'sample', /acts on pixels/],
    ['prior=fashion&x=AAAA', 'x', /acts on pixels/],
    ['prior=fashion&tv=0.1', 'tv', /acts on pixels/],
    ['prior=fashion&preset=natural', 'preset', /regularizers/],
    ['prior=fashion&init=uniform', 'init', /init=normal/],
    ['zmax=3', 'zmax', /needs "prior"/],
    ['prior=fashion&zmax=0', 'zmax', />= 0.1/],
  ])('answers 400 for %s', async (query, parameter, detail) => {
    const p = await expectProblem(await get(`/api/v1/maximize?model=fashion-mlp&class=1&${query}`), 400);
    expect(p.parameter).toBe(parameter);
    expect(p.detail).toMatch(detail);
  });
});
