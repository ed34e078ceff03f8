/**
 * GET /api/v1/exemplars: the shipped test images a model scores highest (or lowest) for a class, as a grid PNG
 * (best first, row by row) or as JSON. Every image's logits are computed once per model (ExemplarLogits); a
 * request only ranks them. Results are immutable like maximize's: canonical key, strong ETag, cached forever.
 */
import { Hono } from 'hono';
import { classScores, rank } from '../../exemplars/scores.js';
import { encodePng } from '../../encode/png.js';
import { enlarge, tile } from '../../encode/raster.js';
import { forwardCpuMs } from '../../budget/cpu.js';
import { gridSide, pngOutput } from '../../budget/output.js';
import { checkBudget } from '../budget.js';
import { layoutOf } from '../../registry/types.js';
import { immutableHeaders, storedBody, storedResponse, strongEtag } from '../cache.js';
import { heldResult, requireModel } from '../http.js';
import { canonicalQuery, type Entries } from '../maximize/canonical.js';
import { resolveClass } from '../maximize/objective.js';
import { exemplarsQuery } from '../params/exemplars.js';
import { parseQuery } from '../params/query.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { SAMPLE_LABELS } from '../../registry/samples.js';
import type { AppEnv } from '../app-env.js';

/** Bumped whenever the ranking or the rendering changes for the same parameters (part of every cache key). */
const EXEMPLARS_VERSION = 1;
/** White separators between the images of the grid, in pixels. */
const GAP = 2;

const round = (v: number) => Number(v.toPrecision(7));

export const exemplarsRoute = new Hono<AppEnv>().get('/', async (c) => {
  const q = parseQuery(new URL(c.req.url), exemplarsQuery);
  const record = await requireModel(c, q.model);
  const info = record.info;
  const k = resolveClass(info, q.class, 'class');
  const samples = c.var.app.samples();
  const layout = layoutOf(info.input);
  if (!samples || layout.channels !== 1 || samples.height !== layout.height || samples.width !== layout.width) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      `Exemplars are chosen among the shipped test images (${samples ? `${samples.height}x${samples.width} gray` : 'none in this deployment'}); ${info.id} takes ${layout.height}x${layout.width}${layout.channels > 1 ? `x${layout.channels}` : ''} images.`,
      { parameter: 'model' });
  }
  const columns = Math.ceil(Math.sqrt(q.k));
  const scale = q.scale ?? Math.max(1, Math.round(224 / (columns * layout.width)));
  const entries: Entries = [
    ['model', info.id], ['sha256', info.sha256.slice(0, 16)], ['exemplars', EXEMPLARS_VERSION], ['samples', samples.count],
    ['class', k], ['k', q.k], ['target', q.target], ['order', q.order], ['format', q.format],
    ...(q.format === 'png' ? [['scale', scale] as [string, number]] : []),
  ];
  const canonical = canonicalQuery(entries);
  const key = `exemplars?${canonical}`;
  const etag = await strongEtag(key);
  const headers = immutableHeaders(etag, canonical);
  const held = await heldResult(c, key, headers);
  if (held) return held;

  const { cpu, limits } = c.var.app;
  if (q.format === 'png') {
    // the k enlarged tiles, then the grid (tile's layout, GAP pixels apart) and its encoding
    const grid = gridSide(layout, q.k, scale, GAP);
    const png = pngOutput(grid.width * grid.height, 1);
    checkBudget({ memoryBytes: q.k * layout.width * layout.height * scale * scale + png.memoryBytes, responseBytes: png.responseBytes },
      limits, `A grid of ${q.k} test images at scale ${scale}`, 'Lower k or scale.');
  }
  // the logits of every test image for every class, written once to the store as a copy
  checkBudget({ memoryBytes: 2 * 4 * samples.count * info.labels.length }, limits, `Scoring the ${samples.count} test images with ${info.id}`, 'This model has too many classes for this deployment.');
  const table = await c.var.app.exemplars.get(record, samples, (flops) => {
    // forward runs of about a hundred images each, on onnxruntime
    const need = { cpuMs: cpu.onnxruntime.fixedMs + forwardCpuMs(cpu.onnxruntime, flops / samples.count, samples.count, 100) };
    checkBudget(need, limits, `Scoring the ${samples.count} test images with ${info.id}`, 'This model is too large for this deployment.');
  });
  const scores = classScores(table.logits, table.classes, k, q.target);
  const probabilities = q.target === 'prob' ? scores : classScores(table.logits, table.classes, k, 'prob');
  const chosen = rank(scores, q.k, q.order);
  const size = layout.height * layout.width;

  let response: Response;
  if (q.format === 'png') {
    const tiles = chosen.map((i) => enlarge({ width: layout.width, height: layout.height, channels: 1, data: samples.pixels.subarray(i * size, (i + 1) * size) }, scale));
    const image = tiles.length === 1 ? tiles[0]! : tile(tiles, columns, GAP);
    response = new Response(await encodePng(image, { Software: 'Ascent', Comment: `/api/v1/exemplars?${canonical}` }, c.var.app.deflate), {
      headers: { ...headers, 'Content-Type': 'image/png', 'X-Ascent-Samples': chosen.join(',') },
    });
  } else {
    response = Response.json({
      model: info.id,
      class: k,
      label: info.labels[k] ?? String(k),
      target: q.target,
      order: q.order,
      k: q.k,
      items: chosen.map((i) => ({
        sample: i,
        score: round(scores[i]!),
        probability: round(probabilities[i]!),
        class: samples.labels[i]!,
        label: SAMPLE_LABELS[samples.labels[i]!] ?? String(samples.labels[i]),
      })),
      samples: { count: samples.count, dataset: 'Fashion-MNIST test split (the first 100 images of each class)' },
      params: Object.fromEntries(entries),
      url: `/api/v1/exemplars?${canonical}`,
    }, { headers });
  }
  const stored = await storedBody(response);
  await c.var.app.cache.put(key, stored);
  const sent = storedResponse(stored);
  sent.headers.set('X-Ascent-Cache', 'miss');
  return sent;
});
