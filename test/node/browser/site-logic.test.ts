/**
 * The site's logic that needs no browser: page state to query strings (only what differs from the API's
 * defaults), the server-sent-events reader, chart ticks, and the checks that keep the pages in step with the API
 * (every maximize parameter has a control or passes through; every problem type is documented).
 */
import { describe, expect, it } from 'vitest';
import { maximizeParams, plannedDefaults, problemIds } from '../../../site/src/lib/reference.js';
import { PROBLEM_DOCS } from '../../../site/src/lib/problems.js';
import { buildQuery, encodeValue, isDefault, parseSearch, resolveLabel, toSearch, type QueryContext } from '../../../site/src/scripts/query.js';
import { sseEvents } from '../../../site/src/scripts/sse.js';
import { niceTicks } from '../../../site/src/scripts/charts.js';
import { fmtP } from '../../../site/src/scripts/format.js';
import { CONTROLLED, MANAGED, PASS_THROUGH } from '../../../site/src/scripts/playground.js';
import { ADVERSARIAL_CONTROLLED, perturbationNorms } from '../../../site/src/scripts/adversarial.js';
import { allowedText, operationId } from '../../../site/src/scripts/docs.js';
import { eachLimited } from '../../../site/src/scripts/gallery.js';
import { maximizeQuery } from '../../../functions/api/params/maximize.js';

const specs = maximizeParams();
const defaults = plannedDefaults();
const ctx: QueryContext = { specs, range: { min: 0, max: 1 }, defaults };
const query = (values: Record<string, string>) => toSearch(buildQuery(values, ctx));

describe('page state -> API query', () => {
  it('the build-time parameter list is the API schema, in its order', () => {
    expect(specs.map((s) => s.name)).toEqual(Object.keys(maximizeQuery.shape));
    expect(specs.find((s) => s.name === 'steps')).toMatchObject({ type: 'integer', default: 256, minimum: 1, maximum: 4096 });
    expect(Object.keys(defaults)).toEqual(expect.arrayContaining(['none', 'natural']));
  });

  it('sends only what differs from the defaults, in the API order', () => {
    const none = defaults.none!;
    const form = {
      model: 'fashion-mlp', class: 'Sneaker', minus: '', target: 'logit', optimizer: 'adam', lr: String(none.lrFraction), steps: '256',
      init: none.init, seed: '0', min: '0', max: '1.0', eps: '0', norm: 'l2', l2: String(none.l2), tv: '', blur: '', blur_every: '9',
      jitter: '', preset: 'none', restarts: '1', pick: 'all', view: 'image',
    };
    expect(query(form)).toBe('model=fashion-mlp&class=Sneaker');
    expect(query({ ...form, steps: '64.0', eps: '0.10', norm: 'l2', class: 'T-shirt/top' })).toBe('model=fashion-mlp&class=T-shirt/top&steps=64&eps=0.1&norm=l2');
    expect(query({ ...form, restarts: '4', pick: 'all', lr: '0.2', blur: '1' })).toBe('model=fashion-mlp&class=Sneaker&lr=0.2&blur=1&blur_every=9&restarts=4&pick=all');
  });

  it('knows the preset defaults: natural values are not repeated, explicit overrides are kept', () => {
    const nat = defaults.natural!;
    const base = { model: 'm', class: '1', preset: 'natural' };
    expect(query({ ...base, tv: String(nat.tv), l2: String(nat.l2), blur_every: String(nat.blur_every), lr: String(nat.lrFraction), init: nat.init })).toBe('model=m&class=1&preset=natural');
    expect(query({ ...base, tv: '0' })).toBe(`model=m&class=1&tv=0&preset=natural`);
    expect(isDefault('init', defaults.none!.init, { preset: 'none' }, ctx)).toBe(true);
    // the steps' default is the server's: 256 in pixel space, 128 through a prior
    expect(query({ model: 'm', class: '1', steps: '256' })).toBe('model=m&class=1');
    expect(query({ model: 'm', class: '1', prior: 'fashion', steps: '128' })).toBe('model=m&class=1&prior=fashion');
    expect(query({ model: 'm', class: '1', prior: 'fashion', steps: '256' })).toBe('model=m&class=1&steps=256&prior=fashion');
  });

  it('a sample or an x implies the start point; values the page cannot judge go to the API unchanged', () => {
    expect(query({ model: 'm', class: '1', init: 'sample', sample: '12' })).toBe('model=m&class=1&sample=12');
    expect(query({ model: 'm', class: '1', steps: 'abc', colour: 'red' })).toBe('model=m&class=1&steps=abc&colour=red');
    expect(query({ model: 'm', class: '1', mask: '7,7,21,21' })).toBe('model=m&class=1&mask=7,7,21,21');
  });

  it('encodes values readably and round-trips them', () => {
    expect(encodeValue('Ankle boot')).toBe('Ankle+boot');
    expect(encodeValue('a(b)&c=d')).toBe('a%28b%29%26c%3Dd');
    const q = toSearch([['class', 'Ankle boot'], ['mask', '1,2,3,4'], ['x', 'ab-_']]);
    expect(parseSearch(q)).toEqual({ class: 'Ankle boot', mask: '1,2,3,4', x: 'ab-_' });
    expect(parseSearch('?a=1&a=2')).toEqual({ a: '1' });
  });

  it('resolves classes given as index or label in any case', () => {
    const labels = ['T-shirt/top', 'Trouser'];
    expect(resolveLabel(labels, '1')).toBe('Trouser');
    expect(resolveLabel(labels, 't-SHIRT/top')).toBe('T-shirt/top');
    expect(resolveLabel(labels, '7')).toBeUndefined();
  });
});

describe('the pages keep up with the API', () => {
  it('every maximize parameter has a playground control, passes through, or is managed by the page', () => {
    const covered = new Set<string>([...CONTROLLED, ...PASS_THROUGH, ...MANAGED]);
    expect(specs.map((s) => s.name).filter((n) => !covered.has(n))).toEqual([]);
    for (const n of ADVERSARIAL_CONTROLLED) expect(specs.some((s) => s.name === n), n).toBe(true);
  });

  it('every problem type the API sends is documented, and only those', () => {
    expect(PROBLEM_DOCS.map((d) => d.id).sort()).toEqual([...problemIds].sort());
    for (const d of PROBLEM_DOCS) expect(d.when.length, d.id).toBeGreaterThan(20);
  });

  it('reference helpers: operation anchors and allowed values', () => {
    expect(operationId('get', '/api/v1/models/{id}')).toBe('op-get-api-v1-models-id');
    expect(allowedText({ minimum: 1, maximum: 4096 })).toBe('1 … 4096');
    expect(allowedText({ exclusiveMinimum: 0, maximum: 10 })).toBe('> 0, ≤ 10');
    expect(allowedText({ enum: ['a', 'b'] })).toBe('a | b');
  });
});

describe('server-sent events', () => {
  const stream = (chunks: string[]) => new ReadableStream<Uint8Array>({
    start(c) {
      for (const ch of chunks) c.enqueue(new TextEncoder().encode(ch));
      c.close();
    },
  });
  const all = async (chunks: string[]) => {
    const out = [];
    for await (const e of sseEvents(stream(chunks))) out.push(e);
    return out;
  };

  it('parses events split anywhere, with \\n or \\r\\n, comments and multi-line data', async () => {
    const text = 'event: progress\ndata: {"step":1}\n\n: comment\r\nevent: result\r\ndata: line1\r\ndata: line2\r\n\r\ndata: last';
    const expected = [{ event: 'progress', data: '{"step":1}' }, { event: 'result', data: 'line1\nline2' }, { event: 'message', data: 'last' }];
    expect(await all([text])).toEqual(expected);
    expect(await all(text.split(''))).toEqual(expected);
    expect(await all([text.slice(0, 40), text.slice(40, 41), text.slice(41)])).toEqual(expected);
  });
});

describe('gallery', () => {
  it('fetches with bounded concurrency and visits every item once', async () => {
    let active = 0;
    let most = 0;
    const seen: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(n);
      active--;
    });
    expect(most).toBe(2);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('charts and numbers', () => {
  it('nice ticks cover the range with round steps', () => {
    expect(niceTicks(0, 256, 6)).toEqual({ lo: 0, hi: 300, ticks: [0, 50, 100, 150, 200, 250, 300] });
    expect(niceTicks(-0.3, 0.72, 4).ticks).toEqual([-0.5, 0, 0.5, 1]);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });

  it('probabilities keep their magnitude', () => {
    expect(fmtP(0.99999)).toBe('1.000');
    expect(fmtP(6.1e-51)).toBe('6.1e-51');
    expect(fmtP(null)).toBe('–');
  });

  it('perturbation norms are measured against the 8-bit start', () => {
    const start = Uint8Array.from([0, 255, 51]);
    const n = perturbationNorms([0.1, 1, 0.2], start, 0, 1);
    expect(n.linf).toBeCloseTo(0.1, 6);
    expect(n.l2).toBeCloseTo(Math.hypot(0.1, 0, 0), 6);
  });
});
