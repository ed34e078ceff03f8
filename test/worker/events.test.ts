/** GET /api/v1/maximize/events: progress as server-sent events, then the result; cached results come at once. */
import { describe, expect, it } from 'vitest';
import { expectProblem, get } from './helpers.js';

interface Event { event: string; data: unknown }

async function events(path: string): Promise<{ status: number; type: string | null; events: Event[] }> {
  const r = await get(path);
  const text = await r.text();
  const parsed = text.split('\n\n').filter((b) => b.trim()).map((block) => {
    const lines = block.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
    const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as unknown;
    return { event, data };
  });
  return { status: r.status, type: r.headers.get('content-type'), events: parsed };
}

describe('maximize/events', () => {
  it('streams progress then the result, and the image is then a cache hit', async () => {
    const url = '/api/v1/maximize/events?model=fashion-cnn&class=Sandal&steps=128';
    const first = await events(url);
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/event-stream');
    const progress = first.events.filter((e) => e.event === 'progress').map((e) => e.data as { step: number; steps: number; probability: number[] });
    expect(progress.length).toBe(64);
    expect(progress.at(-1)!.step).toBe(128);
    expect(progress.map((p) => p.step)).toEqual([...progress.map((p) => p.step)].sort((a, b) => a - b));
    const result = first.events.at(-1)!;
    expect(result.event).toBe('result');
    const j = result.data as { probability: number; url: string; trace: { objective: number[] } };
    expect(j.probability).toBeGreaterThan(0.99);
    expect(j.trace.objective).toHaveLength(128);

    const image = await get('/api/v1/maximize?model=fashion-cnn&class=Sandal&steps=128');
    expect(image.headers.get('x-ascent-cache')).toBe('hit');
    await image.arrayBuffer();

    const again = await events(url);
    expect(again.events.map((e) => e.event)).toEqual(['result']);
    expect(again.events[0]!.data).toEqual(j);
  });

  it('refuses what it can refuse before computing with a 4xx problem, not a stream with an error event', async () => {
    const expectRefusal = async (path: string, status: number, parameter: string | null, detail: RegExp) => {
      const r = await get(path);
      const p = await expectProblem(r, status);
      if (parameter !== null) expect(p.parameter).toBe(parameter);
      expect(p.detail).toMatch(detail);
    };
    await expectRefusal('/api/v1/maximize/events?model=fashion-mlp&class=7&steps=0', 400, 'steps', /integer >= 1/);
    // over the budget: 64 restarts x 4096 steps of the CNN
    await expectRefusal('/api/v1/maximize/events?model=fashion-cnn&class=7&steps=4096&restarts=64', 422, null, /ms of CPU time/);
    // a unit the tensor does not have is known once the program is
    await expectRefusal('/api/v1/maximize/events?model=fashion-mlp&layer=logits&unit=99', 400, 'unit', /< 10/);
  });
});
