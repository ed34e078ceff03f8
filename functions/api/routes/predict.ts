/**
 * /api/v1/predict: the model's class probabilities for one image, given by a test-image index or base64url
 * pixels in the query (GET), or as a PNG body (POST).
 */
import { Hono, type Context } from 'hono';
import { rowsFor } from '../../budget/cpu.js';
import { runBytes } from '../../budget/memory.js';
import { jsonOutput } from '../../budget/output.js';
import { allFinite } from '../../engine/finite.js';
import { softmaxRow } from '../../engine/softmax.js';
import { layoutOf, type ModelRecord } from '../../registry/types.js';
import type { AppEnv } from '../app-env.js';
import { checkBudget } from '../budget.js';
import { readPngBody, requireModel } from '../http.js';
import { MAX_IMAGE_BYTES, predictQuery } from '../params/predict.js';
import { parseQuery } from '../params/query.js';
import { pixelsToInput, pngPixels, queryPixels } from '../pixels.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { rateLimit } from '../rate-limit.js';

async function predict(c: Context<AppEnv>, record: ModelRecord, pixels: Uint8Array, source: Record<string, unknown>) {
  const info = record.info;
  await rateLimit(c, 'compute');
  const runner = await c.var.app.programs.runner(record, 'logit').catch((e: Error) => {
    throw new ApiProblem(422, PROBLEM.unsupportedModel, `The model cannot be run: ${e.message}`);
  });
  // one forward-and-backward run of one image, and the JSON of its probabilities and logits
  const json = jsonOutput(2 * runner.classes + 16);
  checkBudget({ memoryBytes: runBytes(runner.meta.memory, rowsFor(1, runner.fixedBatch)) + json.memoryBytes, responseBytes: json.responseBytes }, c.var.app.limits,
    `Predicting with ${info.id}`, 'This model has too many classes for this deployment.');
  const x = pixelsToInput(pixels, layoutOf(info.input), { min: info.input.min, max: info.input.max });
  const logits = await runner.exclusive(async () => (await runner.run(x, 1, new Float32Array(runner.meta.units))).logits.slice(0, runner.classes));
  if (!allFinite(logits)) throw new ApiProblem(422, PROBLEM.nonFinite, `${info.id} gives NaN or infinite scores for this image; nothing is served.`);
  const p = softmaxRow(logits, 0, runner.classes);
  const ranked = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  const round = (v: number) => Number(v.toPrecision(7));
  return c.json({
    model: info.id,
    ...source,
    predicted: { class: ranked[0], label: info.labels[ranked[0]!] },
    probabilities: Array.from(p, round),
    logits: Array.from(logits, round),
    top: ranked.slice(0, 5).map((k) => ({ class: k, label: info.labels[k], probability: round(p[k]!) })),
  });
}

export const predictRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const q = parseQuery(new URL(c.req.url), predictQuery);
    const record = await requireModel(c, q.model);
    const layout = layoutOf(record.info.input);
    const samples = c.var.app.samples();
    const pixels = queryPixels(samples, q, layout, record.info.id);
    if (q.x !== undefined) return predict(c, record, pixels, { source: 'x' });
    const k = q.sample!;
    return predict(c, record, pixels, { source: 'sample', sample: { index: k, class: samples!.labels[k], label: record.info.labels[samples!.labels[k]!] } });
  })
  .post('/', async (c) => {
    const q = parseQuery(new URL(c.req.url), predictQuery.pick({ model: true }));
    const record = await requireModel(c, q.model);
    const body = await readPngBody(c, MAX_IMAGE_BYTES);
    return predict(c, record, pngPixels(body, layoutOf(record.info.input), record.info.id), { source: 'png' });
  });
