/**
 * The upload page in Chromium: a model uploaded with its description opens in the playground and gives an image;
 * a file that is not a model shows the API's words.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, inCi, launchChromium, MISSING, type Browser } from './chromium.js';
import { ROOT, sharedServer, type Server } from '../helpers/server.js';

const SHOTS = `${ROOT}test-results/screenshots/`;
const LABELS = 'tee, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, boot';

describe.skipIf(!hasChromium && !inCi)(hasChromium ? 'the upload page in Chromium' : `the upload page in Chromium (${MISSING})`, () => {
  let server: Server | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`The browser tests need Chromium at /usr/bin/chromium, and CI must run them: ${MISSING}.`);
    mkdirSync(SHOTS, { recursive: true });
    [server, browser] = await Promise.all([sharedServer(), launchChromium()]);
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  it('uploads a model with its labels and opens the playground on it', async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server!.url}/upload/`);
    await page.setInputFiles('#f-file', `${ROOT}models/fashion-mlp.onnx`);
    await page.fill('#f-title', 'My Fashion MLP');
    await page.fill('#f-labels', LABELS);
    await shot(page, 'upload');
    await page.click('#upload');
    await page.waitForURL(/\/\?model=u-[0-9a-f]{32}$/, { timeout: 60_000 });
    const id = new URL(page.url()).searchParams.get('model')!;
    await page.waitForSelector('#f-class option[value="sneaker"]', { state: 'attached', timeout: 30_000 });
    await page.selectOption('#f-class', 'sneaker');
    await page.click('#run');
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#result-img');
      return img !== null && img.complete && img.naturalWidth > 0 && document.getElementById('result')?.getAttribute('aria-busy') === 'false';
    }, undefined, { timeout: 60_000 });
    expect(await page.getAttribute('#result-img', 'src')).toBe(`/api/v1/maximize?model=${id}&class=sneaker`);
    expect(Number(await page.getAttribute('#bars li[data-label="sneaker"]', 'data-probability'))).toBeGreaterThanOrEqual(0.99);
    // the upload page remembers it, with the means to delete it
    await page.goto(`${server!.url}/upload/`);
    expect(await page.textContent('#mine-rows')).toContain(id);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the API\'s words for a file that is not a model', async () => {
    const page = await browser!.context.newPage();
    await page.goto(`${server!.url}/upload/`);
    const fake = join(tmpdir(), 'not-a-model.onnx');
    writeFileSync(fake, 'this is a text file\n');
    await page.setInputFiles('#f-file', fake);
    await page.click('#upload');
    await page.waitForSelector('#upload-problem:not([hidden])');
    expect(await page.textContent('#upload-problem')).toContain('not a usable ONNX model');
    await shot(page, 'upload-error');
    await page.close();
  });
});

function shot(page: import('playwright-core').Page, name: string) {
  return page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}
