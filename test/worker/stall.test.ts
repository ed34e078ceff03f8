/**
 * Never a silent result: a run that cannot move says why (X-Ascent-Warning, `warnings` in JSON and events), the
 * model description lists the tensors layer= accepts with their inactive units, typos get "did you mean", and a
 * request over the CPU budget is refused before it runs and one that leaves steps out runs what fits.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createWorker, type Env } from '../../functions/worker.js';
import { BASE, expectProblem, get, getJson } from './helpers.js';

/** A new isolate of the Worker with `bindings` (e.g. another MAX_CPU_MS). */
async function deployedWith(bindings: Partial<Env>): Promise<(path: string) => Promise<Response>> {
  const worker = createWorker();
  return async (path) => {
    const ctx = createExecutionContext();
    const r = await worker.fetch(new Request(`${BASE}${path}`), { ...(env as unknown as Env), ...bindings }, ctx);
    await waitOnExecutionContext(ctx);
    return r;
  };
}

interface TensorEntry { name: string; op: string; shape: (number | string)[]; units: number; inactive?: number[] }
interface ModelJson {
  tensors: TensorEntry[];
  activity: { images: number };
  budget: { cpuMs: number; defaultRequestCpuMs: number; maxSteps: number; maxRestarts: number };
}

describe('stalled runs and what can be maximized', () => {
  it('lists the intermediate tensors with their inactive units and what the budget allows', async () => {
    const m = await getJson<ModelJson>('/api/v1/models/fashion-mlp');
    expect(m.activity.images).toBe(1000);
    const relu = m.tensors.find((t) => t.name === 'dense/Relu');
    expect(relu, JSON.stringify(m.tensors.map((t) => t.name))).toBeDefined();
    expect(relu!.op).toBe('Relu');
    expect(relu!.units).toBe(relu!.shape.at(-1));
    expect(relu!.inactive!.length).toBeGreaterThan(0);
    expect(relu!.inactive!.every((u) => u >= 0 && u < relu!.units)).toBe(true);
    expect(m.budget.cpuMs).toBe(5000);
    expect(m.budget.defaultRequestCpuMs).toBeLessThan(m.budget.cpuMs);
    expect(m.budget.maxSteps).toBeGreaterThanOrEqual(256);
    expect(m.budget.maxRestarts).toBeGreaterThan(1);
  });

  it('a dead unit returns its image with a warning in the header, the JSON and the events', async () => {
    const m = await getJson<ModelJson>('/api/v1/models/fashion-mlp');
    const dead = m.tensors.find((t) => t.name === 'dense/Relu')!.inactive![0]!;
    const q = `model=fashion-mlp&layer=dense/Relu&unit=${dead}&steps=16`;
    const png = await get(`/api/v1/maximize?${q}`);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    await png.arrayBuffer();
    const expected = `The gradient is exactly zero at this start: unit ${dead} of dense/Relu is inactive here and on all 1,000 shipped samples; try another unit.`;
    expect(png.headers.get('x-ascent-warning')).toContain(expected);

    const json = await getJson<{ warnings: string[]; objective: number }>(`/api/v1/maximize?${q}&format=json`);
    expect(json.warnings).toContain(expected);
    expect(json.objective).toBe(0);

    const events = await (await get(`/api/v1/maximize/events?${q.replace("steps=16", "steps=17")}`)).text();
    const warning = events.split('\n\n').find((b) => b.startsWith('event: warning'));
    expect(warning, events.slice(0, 400)).toBeDefined();
    expect(JSON.parse(warning!.split('\n').find((l) => l.startsWith('data: '))!.slice(6)).warnings).toContain(expected);
  });

  it('a unit inactive at the start but alive on some samples points to a sample that starts it', async () => {
    const m = await getJson<ModelJson>('/api/v1/models/fashion-mlp');
    const inactive = new Set(m.tensors.find((t) => t.name === 'dense/Relu')!.inactive);
    // a live unit that is off at the all-zeros start
    for (let unit = 0; unit < 128; unit++) {
      if (inactive.has(unit)) continue;
      const j = await getJson<{ warnings: string[] }>(`/api/v1/maximize?model=fashion-mlp&layer=dense/Relu&unit=${unit}&init=zeros&steps=4&format=json`);
      const w = j.warnings.find((x) => x.startsWith('The gradient is exactly zero at this start'));
      if (!w) continue;
      const sample = /e\.g\. sample=(\d+)\.$/.exec(w);
      expect(w, w).toMatch(new RegExp(`^The gradient is exactly zero at this start: unit ${unit} of dense/Relu is inactive here \\(it responds on [\\d,]+ of 1,000 shipped samples\\); start from one of them, e\\.g\\. sample=\\d+\\.$`));
      const moved = await getJson<{ warnings: string[]; objective: number }>(`/api/v1/maximize?model=fashion-mlp&layer=dense/Relu&unit=${unit}&sample=${sample![1]}&steps=16&format=json`);
      expect(moved.warnings).toEqual([]);
      expect(moved.objective).toBeGreaterThan(0);
      return;
    }
    throw new Error('no live unit of dense/Relu is off at init=zeros');
  });

  it('a live unit and an ordinary class request carry no warning', async () => {
    const r = await get('/api/v1/maximize?model=fashion-mlp&class=Sneaker');
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    expect(r.headers.get('x-ascent-warning')).toBeNull();
  });

  it('suggests the tensor and the label meant by a typo', async () => {
    const layer = await expectProblem(await get('/api/v1/maximize?model=fashion-mlp&layer=dense/relu&unit=0'), 400);
    expect(layer.detail).toContain('Did you mean "dense/Relu"?');
    expect(layer.detail).toContain('GET /api/v1/models/fashion-mlp lists');
    const label = await expectProblem(await get('/api/v1/maximize?model=fashion-mlp&class=Sneakers'), 400);
    expect(label.detail).toContain('Did you mean "Sneaker"?');
  });

  it('a request over the CPU budget is refused before it runs, in milliseconds', async () => {
    const over = await expectProblem(await get('/api/v1/maximize?model=fashion-cnn&class=1&restarts=64&steps=4096'), 422);
    expect(over.detail).toMatch(/^This request needs about [\d,]+ ms of CPU time; the limit is 5,000 ms per request\./);
    expect(over).toMatchObject({ limit: { cpuMs: 5000 } });
  });

  it('leaving steps out runs the steps that fit in MAX_CPU_MS and says so; giving them over it is a 422', async () => {
    const fetchTight = await deployedWith({ MAX_CPU_MS: '6' });
    const m = (await (await fetchTight('/api/v1/models/fashion-mlp')).json()) as ModelJson;
    expect(m.budget.cpuMs).toBe(6);
    expect(m.budget.maxSteps).toBeLessThan(256);
    const r = await fetchTight('/api/v1/maximize?model=fashion-mlp&class=3&seed=11&format=json');
    expect(r.status).toBe(200);
    const j = (await r.json()) as { steps: number; warnings: string[]; url: string };
    expect(j.steps).toBe(m.budget.maxSteps);
    expect(j.warnings[0]).toMatch(new RegExp(`^256 steps would need about [\\d,]+ ms of CPU time, more than the 6 ms a request may use here, so this result ran ${j.steps} steps; pass steps to choose \\(at most ${j.steps} fit\\)\\.$`));
    expect(j.url).toContain(`steps=${j.steps}`);
    const over = await expectProblem(await fetchTight('/api/v1/maximize?model=fashion-mlp&class=3&seed=11&steps=256'), 422);
    expect(over.detail).toMatch(/ms of CPU time; the limit is 6 ms per request/);
  });
});
