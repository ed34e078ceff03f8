import { describe, expect, it } from 'vitest';
import { expectProblem, get, getJson } from './helpers.js';

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('GET /api/v1/models', () => {
  it('lists both trained models with their description', async () => {
    const body = await getJson<{ models: Record<string, unknown>[] }>('/api/v1/models');
    const ids = body.models.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['fashion-mlp', 'fashion-cnn']));
    for (const m of body.models) {
      expect(m.labels).toEqual(LABELS);
      expect(m.input).toMatchObject({ shape: [28, 28], min: 0, max: 1 });
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof m.parameters).toBe('number');
      expect(m.accuracy as number).toBeGreaterThan(0.88);
      expect(typeof m.title).toBe('string');
    }
  });

  it('answers one model by id', async () => {
    const m = await getJson('/api/v1/models/fashion-cnn');
    expect(m.id).toBe('fashion-cnn');
    expect(m.accuracy as number).toBeGreaterThanOrEqual(0.91);
  });

  it('answers an unknown id with a 404 problem naming the known ids', async () => {
    const p = await expectProblem(await get('/api/v1/models/resnet-9000'), 404);
    expect(p.detail).toContain('resnet-9000');
    expect(p.allowed).toEqual(expect.arrayContaining(['fashion-mlp', 'fashion-cnn']));
  });

  it('answers unknown API paths with a 404 problem, not a crash', async () => {
    await expectProblem(await get('/api/v1/nothing-here'), 404);
  });

  it('serves the static site at /', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<html');
  });
});
