/**
 * /api/v1/samples: the shipped test images (100 per class from the Fashion-MNIST test split), to start a search
 * from (`sample=` on maximize and predict) and to show in the site.
 */
import { Hono } from 'hono';
import * as z from 'zod';
import { encodePng } from '../../encode/png.js';
import { SAMPLE_LABELS } from '../../registry/samples.js';
import type { AppEnv } from '../app-env.js';
import { IMMUTABLE } from '../cache.js';
import { encodeBase64Url } from '../../encode/base64url.js';
import { parseQuery } from '../params/query.js';
import { sampleQuery } from '../params/samples.js';
import { ApiProblem, PROBLEM } from '../problem.js';

export const samplesRoute = new Hono<AppEnv>()
  .get('/', (c) => {
    parseQuery(new URL(c.req.url), z.object({}));
    const s = c.var.app.samples();
    if (!s) throw new ApiProblem(404, PROBLEM.notFound, 'This deployment ships no test images.');
    const byClass: Record<string, number[]> = {};
    s.labels.forEach((k, i) => { (byClass[k] ??= []).push(i); });
    return c.json({
      count: s.count,
      height: s.height,
      width: s.width,
      dataset: 'Fashion-MNIST test split (the first 100 images of each class)',
      classes: Object.entries(byClass).map(([k, idx]) => ({ class: Number(k), label: SAMPLE_LABELS[Number(k)], first: idx[0], count: idx.length })),
    }, 200, { 'cache-control': 'public, max-age=3600' });
  })
  .get('/:index', async (c) => {
    const s = c.var.app.samples();
    const raw = c.req.param('index');
    if (!s) throw new ApiProblem(404, PROBLEM.notFound, 'This deployment ships no test images.');
    if (!/^\d+$/.test(raw) || Number(raw) >= s.count) {
      throw new ApiProblem(404, PROBLEM.notFound, `There is no test image ${JSON.stringify(raw)}; indices run from 0 to ${s.count - 1}.`, { parameter: 'index', allowed: { minimum: 0, maximum: s.count - 1 } });
    }
    const query = parseQuery(new URL(c.req.url), sampleQuery);
    const i = Number(raw);
    const size = s.height * s.width;
    const pixels = s.pixels.subarray(i * size, (i + 1) * size);
    if (query.format === 'png') {
      const png = await encodePng({ width: s.width, height: s.height, channels: 1, data: pixels }, {}, c.var.app.deflate, query.scale);
      return c.body(png, 200, { 'content-type': 'image/png', 'cache-control': IMMUTABLE });
    }
    const k = s.labels[i]!;
    return c.json({ index: i, class: k, label: SAMPLE_LABELS[k], height: s.height, width: s.width, x: encodeBase64Url(pixels) }, 200, { 'cache-control': IMMUTABLE });
  });
