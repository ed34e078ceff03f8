/**
 * The site in a real browser against the real API: `wrangler dev` (workerd) serving the built pages, Chromium
 * clicking through them. One browser for the whole file, the server shared with the other files that need one
 * (helpers/server.ts); full-page screenshots of every page go to test-results/screenshots/ for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { PROBLEM } from '../../../functions/api/problem.js';
import { hasChromium, inCi, launchChromium, MISSING, type Browser } from './chromium.js';
import { ROOT, sharedServer, type Server } from '../helpers/server.js';

const SHOTS = `${ROOT}test-results/screenshots/`;

if (!hasChromium && !inCi) console.warn(`Skipping the browser tests: ${MISSING}.`);

describe.skipIf(!hasChromium && !inCi)(hasChromium ? 'the site in Chromium' : `the site in Chromium (${MISSING})`, () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let base = '';

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`The browser tests need Chromium at /usr/bin/chromium, and CI must run them: ${MISSING}.`);
    mkdirSync(SHOTS, { recursive: true });
    [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
    context = browser.context;
    base = server.url;
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  /** A new tab that fails the test on script errors; `until`: what page.goto waits for (load: every image too). */
  async function open(path: string, until: 'load' | 'domcontentloaded' = 'load'): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
    await page.goto(`${base}${path}`, { waitUntil: until });
    return { page, errors };
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

  /** Waits until the playground shows the result of `query` with its image loaded. */
  async function resultShown(page: Page, query: string, timeout = 60_000): Promise<void> {
    await page.waitForFunction((q) => {
      const img = document.querySelector<HTMLImageElement>('#result-img');
      return img !== null && img.getAttribute('src') === `/api/v1/maximize?${q}` && img.complete && img.naturalWidth > 0
        && document.getElementById('result')?.getAttribute('aria-busy') === 'false';
    }, query, { timeout });
  }

  /** Opens a collapsed section of the playground's settings the way a person does: a click on its summary. */
  async function openSection(page: Page, section: string): Promise<void> {
    const details = page.locator(`details[data-section="${section}"]`);
    if ((await details.getAttribute('open')) === null) await details.locator('> summary').click();
  }

  const controls = (page: Page) => page.evaluate(() => {
    const value = (id: string) => (document.getElementById(id) as HTMLInputElement | HTMLSelectElement).value;
    return { model: value('f-model'), class: value('f-class'), steps: value('f-steps'), img: document.querySelector('#result-img')!.getAttribute('src') };
  });

  it('playground: a model and class chosen in the page give an image, the class probabilities and the trace', async () => {
    const { page, errors } = await open('/');
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.waitForSelector('#f-model option[value="fashion-mlp"]', { state: 'attached' });
    await page.selectOption('#f-model', 'fashion-mlp');
    await page.selectOption('#f-class', 'Trouser');
    await page.click('#run');
    await resultShown(page, 'model=fashion-mlp&class=Trouser');

    const p = Number(await page.getAttribute('#bars li[data-label="Trouser"]', 'data-probability'));
    expect(p).toBeGreaterThanOrEqual(0.99);
    expect(await page.locator('#bars li').count()).toBe(10);
    expect(await page.locator('#plot polyline.plot-objective').count()).toBeGreaterThan(0);
    expect(await page.inputValue('#url')).toBe(`${base}/api/v1/maximize?model=fashion-mlp&class=Trouser`);
    expect(new URL(page.url()).search).toBe('?model=fashion-mlp&class=Trouser');
    // progress came from the event stream, not from the JSON fallback
    expect(requests.some((u) => u.includes('/api/v1/maximize/events?model=fashion-mlp&class=Trouser'))).toBe(true);
    expect(requests.some((u) => u.includes('format=json'))).toBe(false);
    expect(errors).toEqual([]);
    await shot(page, 'playground');

    // the copy buttons put the URL, an <img> tag or Markdown on the clipboard
    await page.click('button[data-copy="md"]');
    await page.waitForFunction(() => document.getElementById('copy-status')?.textContent?.startsWith('Copied'));
    expect(await page.textContent('#copy-status')).toContain(`](${base}/api/v1/maximize?model=fashion-mlp&class=Trouser)`);
    await page.close();
  });

  it('playground: without the event stream it falls back to the JSON result', async () => {
    const page = await context.newPage();
    await page.route('**/api/v1/maximize/events?**', (route) => route.abort('connectionreset'));
    await page.goto(`${base}/?model=fashion-mlp&class=Pullover&steps=48`);
    await resultShown(page, 'model=fashion-mlp&class=Pullover&steps=48');
    expect(await page.textContent('#summary')).toContain('Progress could not be streamed');
    expect(Number(await page.getAttribute('#bars li[data-label="Pullover"]', 'data-probability'))).toBeGreaterThan(0.5);
    expect(await page.isHidden('#problem')).toBe(true);
    await page.close();
  });

  it('playground: the page address restores the controls, a reload gives the same image, Back the previous run', async () => {
    const first = 'model=fashion-cnn&class=Bag&steps=64';
    const { page, errors } = await open(`/?${first}`);
    await resultShown(page, first);
    const before = await controls(page);
    expect(before).toEqual({ model: 'fashion-cnn', class: 'Bag', steps: '64', img: `/api/v1/maximize?${first}` });

    await page.reload();
    await resultShown(page, first);
    expect(await controls(page)).toEqual(before);

    await page.selectOption('#f-class', 'Coat');
    await openSection(page, 'optimization');
    await page.fill('#f-steps', '32');
    await page.click('#run');
    const second = 'model=fashion-cnn&class=Coat&steps=32';
    await resultShown(page, second);
    expect(new URL(page.url()).search).toBe(`?${second}`);

    await page.goBack();
    await resultShown(page, first);
    expect(new URL(page.url()).search).toBe(`?${first}`);
    expect(await controls(page)).toEqual(before);

    await page.goForward();
    await resultShown(page, second);
    expect(await controls(page)).toMatchObject({ class: 'Coat', steps: '32' });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('playground: a setting the API refuses shows its problem detail and marks the control', async () => {
    const { page } = await open('/?model=fashion-mlp&class=Sneaker');
    await resultShown(page, 'model=fashion-mlp&class=Sneaker');
    await openSection(page, 'optimization');

    // refused before the stream starts: a 400 problem response
    await page.fill('#f-steps', '99999');
    await page.click('#run');
    const refused = await (await fetch(`${base}/api/v1/maximize?model=fashion-mlp&class=Sneaker&steps=99999`)).json() as { detail: string; parameter: string };
    expect(refused.parameter).toBe('steps');
    await page.waitForSelector('#problem:not([hidden])');
    expect(await page.textContent('#problem')).toContain(refused.detail);
    expect(await page.getAttribute('#f-steps', 'aria-invalid')).toBe('true');
    expect(new URL(page.url()).searchParams.get('steps')).toBe('99999');

    // refused inside the stream: an `error` event (the work is over the budget)
    await page.fill('#f-steps', '4096');
    await page.fill('#f-restarts', '64');
    await page.click('#run');
    const budget = await (await fetch(`${base}/api/v1/maximize?model=fashion-mlp&class=Sneaker&steps=4096&restarts=64`)).json() as { detail: string; type: string };
    expect(budget.type).toBe('/docs/errors#over-budget');
    await page.waitForFunction((d) => document.getElementById('problem')?.textContent?.includes(d), budget.detail);

    // a valid setting clears the problem
    await page.fill('#f-steps', '');
    await page.fill('#f-restarts', '1');
    await page.click('#run');
    await page.waitForSelector('#problem', { state: 'hidden' });
    await page.close();
  });

  it('playground: the model\'s tensors in a picker, limits from its budget, the previous image dimmed while a run computes, uploads by title', async () => {
    const { page, errors } = await open('/?model=fashion-mlp&class=Sneaker');
    await resultShown(page, 'model=fashion-mlp&class=Sneaker');
    const details = await (await fetch(`${base}/api/v1/models/fashion-mlp`)).json() as {
      tensors: { name: string; units: number; inactive?: number[] }[]; budget: { maxSteps: number; maxRestarts: number };
    };
    // the limits of steps and restarts are what this model's CPU budget fits
    await page.waitForFunction((max) => document.querySelector('#f-steps')?.getAttribute('max') === max, String(details.budget.maxSteps));
    expect(await page.getAttribute('#f-restarts', 'max')).toBe(String(details.budget.maxRestarts));
    expect(await page.textContent('#f-steps-hint')).toContain(`At most ${details.budget.maxSteps.toLocaleString('en-US')} steps`);

    // every tensor of GET /api/v1/models/{id} is offered; choosing one replaces the class
    await openSection(page, 'objective');
    const offered = await page.$$eval('#f-layer option', (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(offered).toEqual(details.tensors.map((t) => t.name));
    const relu = details.tensors.find((t) => t.name === 'dense/Relu')!;
    const dead = relu.inactive![0]!;
    await page.selectOption('#f-layer', 'dense/Relu');
    expect(await page.inputValue('#f-class')).toBe('');
    expect(await page.getAttribute('#f-unit', 'max')).toBe(String(relu.units - 1));
    expect(await page.textContent('#f-unit-hint')).toContain(`Inactive on every shipped test image (their gradient is often zero): ${dead}`);
    await page.fill('#f-unit', String(dead));

    // while the run computes (its stream held back here), the previous image stays, dimmed
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    await page.route(/\/api\/v1\/maximize\/events\?/, async (route) => { await held; await route.continue(); });
    await page.click('#run');
    await page.waitForFunction(() => Number(getComputedStyle(document.querySelector('#result figure')!).opacity) < 0.5);
    expect(await page.getAttribute('#result-img', 'src')).toBe('/api/v1/maximize?model=fashion-mlp&class=Sneaker');
    release();
    const q = `model=fashion-mlp&layer=dense/Relu&unit=${dead}`;
    await resultShown(page, q, 30_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; shown: ${await page.getAttribute('#result-img', 'src')}; problem: ${await page.textContent('#problem')}`);
    });
    expect(Number(await page.evaluate(() => getComputedStyle(document.querySelector('#result figure')!).opacity))).toBe(1);
    // the dead unit's result says why it did not move
    expect(await page.textContent('#warnings')).toContain(`unit ${dead} of dense/Relu is inactive`);
    await shot(page, 'playground-hidden-unit');
    await page.unroute(/\/api\/v1\/maximize\/events\?/);

    // an upload is offered by the title it was given, not by its random id
    const up = await fetch(`${base}/api/v1/models?title=${encodeURIComponent('My sneaker MLP')}`, {
      method: 'POST', body: readFileSync(`${ROOT}models/fashion-mlp.onnx`), headers: { 'content-type': 'application/octet-stream' },
    });
    const { id } = await up.json() as { id: string };
    await page.goto(`${base}/?model=${id}&class=Sneaker`);
    await page.waitForSelector(`#f-model option[value="${id}"]`, { state: 'attached' });
    expect(await page.textContent(`#f-model option[value="${id}"]`)).toBe('My sneaker MLP (uploaded)');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('gallery: every image loads and carries the probability it reached', async () => {
    // eighty images computed on first sight: the test waits for them below, not in goto
    const { page, errors } = await open('/gallery/', 'domcontentloaded');
    const count = await page.locator('img[data-labels]').count();
    expect(count).toBe(2 * 3 * 10); // models x (raw, natural, prior) x classes
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img[data-labels]')].every((i) => i.complete), undefined, { timeout: 150_000 });
    const broken = await page.$$eval('img[data-labels]', (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth === 0).map((i) => i.getAttribute('src')));
    expect(broken).toEqual([]);
    // the images are plain <img src> tags on API URLs
    expect(await page.$$eval('img[data-labels]', (imgs) => imgs.every((i) => i.getAttribute('src')!.startsWith('/api/v1/maximize?model=')))).toBe(true);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-p-for]')].every((c) => /^p = \d/.test(c.textContent ?? '')), undefined, { timeout: 150_000 });
    // per class, the nine test images the model scores highest, next to the two ascent images
    const exemplars = page.locator('figure[data-variant="exemplars"] img');
    expect(await exemplars.count()).toBe(2 * 10);
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('figure[data-variant="exemplars"] img')].every((i) => i.complete && i.naturalWidth > 0), undefined, { timeout: 60_000 });
    expect(errors).toEqual([]);
    await shot(page, 'gallery');

    // pointing at an image shows its animation; leaving it, the still image again
    const first = page.locator('img[data-gif]').first();
    await first.hover();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[data-gif]')!;
      return img.getAttribute('src')!.endsWith('&format=gif') && img.complete && img.naturalWidth === 224;
    }, undefined, { timeout: 60_000 });
    await page.mouse.move(0, 0);
    expect(await first.getAttribute('src')).toBe(await first.getAttribute('data-still'));
    // "Animate all": every ascent image becomes its animation, and every animation loads
    await page.check('#animate-all');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('img[data-gif]')].every((i) => i.getAttribute('src') === i.dataset.gif && i.complete && i.naturalWidth === 224), undefined, { timeout: 150_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);

  it('adversarial: the original, the perturbation and the result, and a changed prediction', async () => {
    const { page, errors } = await open('/adversarial/');
    await page.waitForSelector('#picker button.thumb[data-index="700"]');
    await page.click('#picker button.thumb[data-index="700"]');
    await page.selectOption('#f-class', 'Bag');
    await page.fill('#f-eps', '0.1');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('verdict')?.dataset.changed !== undefined && document.getElementById('result')?.getAttribute('aria-busy') === 'false', undefined, { timeout: 60_000 });
    await page.waitForFunction(() => ['img-original', 'img-delta', 'img-result'].every((id) => {
      const img = document.getElementById(id) as HTMLImageElement;
      return img.complete && img.naturalWidth > 0;
    }), undefined, { timeout: 60_000 });
    const srcs = await page.$$eval('.triptych img', (imgs) => imgs.map((i) => i.getAttribute('src')));
    expect(srcs).toEqual([
      '/api/v1/samples/700?format=png&scale=8',
      '/api/v1/maximize?model=fashion-mlp&class=Bag&sample=700&eps=0.1&view=delta',
      '/api/v1/maximize?model=fashion-mlp&class=Bag&sample=700&eps=0.1',
    ]);
    expect(await page.getAttribute('#verdict', 'data-changed')).toBe('true');
    expect(await page.textContent('#compare tr[data-row="predicted"]')).toMatch(/Sneaker.*Bag/);
    expect(new URL(page.url()).search).toBe('?model=fashion-mlp&class=Bag&sample=700&eps=0.1');
    // the attribution of each image's prediction: the original by sample, the result by its pixels in x
    await page.waitForFunction(() => ['img-attr-original', 'img-attr-result'].every((id) => {
      const img = document.getElementById(id) as HTMLImageElement;
      return img.complete && img.naturalWidth === 224;
    }), undefined, { timeout: 60_000 });
    expect(await page.getAttribute('#img-attr-original', 'src')).toBe('/api/v1/attribute?model=fashion-mlp&sample=700&overlay=1');
    expect(await page.getAttribute('#img-attr-result', 'src')).toMatch(/^\/api\/v1\/attribute\?model=fashion-mlp&x=[A-Za-z0-9_-]{1046}&overlay=1$/);
    expect(await page.textContent('#cap-attr-result')).toBe('for Bag.');
    expect(errors).toEqual([]);
    await shot(page, 'adversarial');
    await page.close();
  });

  it('explain: the probabilities and every method side by side with its URL, the caveat next to the methods that follow the input', async () => {
    const { page, errors } = await open('/explain/?model=fashion-cnn&sample=700');
    await page.waitForFunction(() => document.getElementById('result')?.getAttribute('aria-busy') === 'false'
      && [...document.querySelectorAll<HTMLImageElement>('.map img')].every((i) => i.complete && i.naturalWidth === 224), undefined, { timeout: 120_000 });
    const maps = await page.$$eval('.map', (figures) => figures.map((f) => ({
      method: f.getAttribute('data-method'),
      src: f.querySelector('img')!.getAttribute('src'),
      link: f.querySelector('a[data-link="png"]')!.getAttribute('href'),
      caveat: f.querySelector('.caveat') !== null,
    })));
    expect(maps).toEqual(['gradient', 'gradxinput', 'smoothgrad', 'integrated', 'gradcam'].map((method) => ({
      method, src: `/api/v1/attribute?model=fashion-cnn&sample=700&method=${method}`, link: `/api/v1/attribute?model=fashion-cnn&sample=700&method=${method}`,
      caveat: method === 'gradxinput' || method === 'integrated',
    })));
    expect(Number(await page.getAttribute('#probs li[data-label="Sneaker"]', 'data-probability'))).toBeGreaterThan(0.9);
    expect(await page.textContent('#maps-class')).toMatch(/Sneaker \(the predicted class\)/);
    const completeness = await page.textContent('#m-integrated [data-numbers]');
    expect(Number(/differ by ([0-9.]+) %/.exec(completeness ?? '')?.[1])).toBeLessThan(1);
    expect(await page.textContent('#m-gradcam [data-numbers]')).toBe('Layer: conv2d/Relu.');
    await shot(page, 'explain');

    // a drawing is explained through x=, for a class chosen in the page
    await page.selectOption('#f-class', 'Trouser');
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.15 + 0.07 * i));
    await page.mouse.up();
    await page.click('#draw-use');
    await page.waitForFunction(() => new URLSearchParams(location.search).has('x') && document.getElementById('result')?.getAttribute('aria-busy') === 'false'
      && [...document.querySelectorAll<HTMLImageElement>('.map img')].every((i) => i.complete && i.naturalWidth === 224), undefined, { timeout: 120_000 });
    const search = new URLSearchParams(new URL(page.url()).search);
    expect([search.get('model'), search.get('class'), search.has('sample'), search.get('x')!.length]).toEqual(['fashion-cnn', 'Trouser', false, 1046]);
    expect(await page.getAttribute('#m-gradient img', 'src')).toBe(`/api/v1/attribute?model=fashion-cnn&class=Trouser&x=${search.get('x')}&method=gradient`);
    expect(await page.textContent('#cap-input')).toMatch(/^Your image: the model says/);
    expect(errors).toEqual([]);

    // a model without a convolution: Grad-CAM says why, the other maps are drawn
    await page.goto(`${base}/explain/?model=fashion-mlp&sample=100`);
    await page.waitForFunction(() => document.getElementById('m-gradcam')?.dataset.unavailable === 'true', undefined, { timeout: 120_000 });
    expect(await page.textContent('#m-gradcam [data-numbers]')).toMatch(/fashion-mlp has none/);
    await page.close();
  }, 300_000);

  it('docs: the reference lists every maximize parameter of openapi.json; every problem type has its anchor', async () => {
    const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json() as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    const expected = doc.paths['/api/v1/maximize']!.get!.parameters!.map((p) => p.name);
    const { page, errors } = await open('/docs/');
    await page.waitForSelector('#op-get-api-v1-maximize tr[data-param]');
    const listed = await page.$$eval('#op-get-api-v1-maximize tr[data-param]', (rows) => rows.map((r) => r.getAttribute('data-param')));
    expect(listed).toEqual(expected);
    expect(await page.textContent('#op-get-api-v1-maximize tr[data-param="steps"]')).toMatch(/integer.*256.*1 … 4096/);
    expect(await page.locator('a[href="https://stackoverflow.com/questions/52678215"]').count()).toBeGreaterThan(0);
    for (const id of Object.values(PROBLEM)) expect(await page.locator(`#${id}`).count(), id).toBe(1);
    expect(errors).toEqual([]);
    await shot(page, 'docs');

    // a problem's `type` link (/docs/errors#id) lands on its entry
    await page.goto(`${base}/docs/errors#invalid-parameter`);
    await page.waitForSelector('#invalid-parameter:target');
    for (const id of Object.values(PROBLEM)) expect(await page.locator(`#${id}`).count(), id).toBe(1);
    await shot(page, 'errors');
    await page.close();
  });

  it('every page fits a phone screen, labels its controls and describes its images', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of [['playground', '/?model=fashion-mlp&class=Sneaker&preset=natural'], ['gallery', '/gallery/'], ['adversarial', '/adversarial/'], ['explain', '/explain/?model=fashion-cnn&sample=300'], ['docs', '/docs/']] as const) {
      await page.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' });
      await page.waitForLoadState('networkidle', { timeout: 120_000 });
      const report = await page.evaluate(() => ({
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        unlabelled: [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')]
          .filter((c) => c.type !== 'hidden' && !c.closest('[hidden]') && (c.labels?.length ?? 0) === 0 && !c.getAttribute('aria-label'))
          .map((c) => c.id || c.outerHTML.slice(0, 80)),
        noAlt: [...document.querySelectorAll('img')].filter((i) => !i.hasAttribute('alt')).map((i) => i.getAttribute('src')),
      }));
      expect(report, name).toEqual({ overflow: 0, unlabelled: [], noAlt: [] });
      await shot(page, `${name}-phone`);
    }
    await page.close();
  }, 200_000);
});
