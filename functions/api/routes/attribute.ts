/**
 * /api/v1/attribute: why the model gives class K its score for an image (a shipped test image or pixels in the
 * URL with GET, a PNG body with POST), as a heatmap PNG or JSON, cacheable forever. The methods live in
 * functions/attribution/; this route picks the image, the program and the class, and caches the result.
 */
import { Hono, type Context } from 'hono';
import { AttributionError, attribute, rowsOf } from '../../attribution/index.js';
import { CompileError, ModelError } from '../../compiler/index.js';
import { softmaxRow } from '../../engine/softmax.js';
import type { GradientRunner } from '../../engine/runner.js';
import { layoutOf, type ModelRecord } from '../../registry/types.js';
import type { AppEnv } from '../app-env.js';
import { attributionResponse, type Explained } from '../attribute/render.js';
import { planAttribute, type AttributionPlan, type ImageSource } from '../attribute/plan.js';
import { gradientCpuMs, rowsFor } from '../../budget/cpu.js';
import { runBytes } from '../../budget/memory.js';
import { withNodes } from '../../budget/nodes.js';
import { jsonOutput } from '../../budget/output.js';
import { rowsPerRun } from '../../attribution/rows.js';
import { checkBudget } from '../budget.js';
import { IMMUTABLE, matchesEtag, storedBody, storedResponse, strongEtag } from '../cache.js';
import { readPngBody, requireModel } from '../http.js';
import { attributeQuery } from '../params/attribute.js';
import { MAX_IMAGE_BYTES } from '../params/predict.js';
import { parseQuery } from '../params/query.js';
import { pngPixels, queryPixels } from '../pixels.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { rateLimit } from '../rate-limit.js';

/** The program of the plan: the input gradient of its target, or for gradcam the gradient on its layer. */
async function runnerFor(c: Context<AppEnv>, record: ModelRecord, plan: AttributionPlan): Promise<GradientRunner> {
  const gradcam = plan.method.method === 'gradcam';
  try {
    return await (gradcam ? c.var.app.layerPrograms.runner(record, plan.target, plan.layer ?? null) : c.var.app.programs.runner(record, plan.target));
  } catch (e) {
    if (gradcam && e instanceof ModelError) {
      throw new ApiProblem(400, PROBLEM.badParameter, plan.layer !== undefined
        ? `Parameter "layer": ${e.message}.`
        : `method=gradcam needs a convolutional feature map, and ${record.info.id} has none (${e.message}). Name a [N, C, H, W] tensor in "layer" or choose another method.`,
      { parameter: plan.layer !== undefined ? 'layer' : 'method' });
    }
    if (e instanceof ModelError || e instanceof CompileError) {
      throw new ApiProblem(422, PROBLEM.unsupportedModel, `The model cannot be differentiated: ${e.message}.`);
    }
    throw e;
  }
}

async function compute(c: Context<AppEnv>, record: ModelRecord, plan: AttributionPlan): Promise<Explained> {
  const runner = await runnerFor(c, record, plan);
  const rows = rowsOf(plan.method) + (plan.classIndex === null ? 1 : 0);
  const { limits } = c.var.app;
  // Grad-CAM's layer programs run on onnxruntime
  const cpu = withNodes(c.var.app.cpu, runner.meta.nodes ?? 0, 'engine' in runner && runner.engine === 'kernel' ? 'kernel' : 'onnxruntime');
  const cpuMs = gradientCpuMs(cpu, runner.meta.forwardFlops, rowsFor(rows, runner.fixedBatch), 1);
  // the rows' inputs, gradients and logits, one run of at most a chunk of them, and the JSON of the map
  const size = runner.sampleSize;
  const chunk = rowsFor(Math.min(rows, rowsPerRun(runner)), runner.fixedBatch);
  const json = jsonOutput(3 * size + 2 * runner.classes + 16);
  const memoryBytes = rows * 4 * (3 * size + runner.classes) + runBytes(runner.meta.memory, chunk) + json.memoryBytes;
  checkBudget({ cpuMs, memoryBytes, responseBytes: json.responseBytes }, limits, `This ${plan.method.method} request`, 'Lower steps or n.');
  return runner.exclusive(async () => {
    const x = plan.input();
    let k = plan.classIndex;
    if (k === null) {
      const logits = (await runner.run(x, 1, new Float32Array(runner.meta.units))).logits;
      k = 0;
      for (let j = 1; j < runner.classes; j++) if (logits[j]! > logits[k]!) k = j;
    }
    const weights = new Float32Array(runner.meta.units);
    weights[k] = 1;
    try {
      const attribution = await attribute(runner, { layout: plan.layout, range: plan.range, x, weights }, plan.method);
      return { attribution, classIndex: k, probabilities: softmaxRow(attribution.logits, 0, runner.classes), cpuMs };
    } catch (e) {
      if (e instanceof AttributionError) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${e.parameter}": ${e.message}.`, { parameter: e.parameter });
      throw e;
    }
  });
}

/** Answers from the ETag or the cache when it can, else computes and caches. */
async function respond(c: Context<AppEnv>, record: ModelRecord, plan: AttributionPlan): Promise<Response> {
  const etag = await strongEtag(plan.query);
  if (matchesEtag(c.req.header('if-none-match'), etag)) {
    return c.body(null, 304, { ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': plan.query });
  }
  const cached = await c.var.app.cache.match(plan.query);
  if (cached) {
    const hit = new Response(cached.body, cached);
    hit.headers.set('X-Ascent-Cache', 'hit');
    return hit;
  }
  await rateLimit(c, 'compute');
  const stored = await storedBody(await attributionResponse(await compute(c, record, plan), plan, record.info));
  await c.var.app.cache.put(plan.query, stored);
  const response = storedResponse(stored);
  response.headers.set('X-Ascent-Cache', 'miss');
  return response;
}

export const attributeRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const q = parseQuery(new URL(c.req.url), attributeQuery);
    const record = await requireModel(c, q.model);
    const layout = layoutOf(record.info.input);
    const pixels = queryPixels(c.var.app.samples(), q, layout, record.info.id, true);
    const source: ImageSource = q.sample !== undefined ? { sample: q.sample } : { pixels: true };
    return respond(c, record, planAttribute(q, record.info, pixels, source));
  })
  .post('/', async (c) => {
    const q = parseQuery(new URL(c.req.url), attributeQuery.omit({ sample: true, x: true }));
    const record = await requireModel(c, q.model);
    const body = await readPngBody(c, MAX_IMAGE_BYTES);
    const pixels = pngPixels(body, layoutOf(record.info.input), record.info.id);
    return respond(c, record, planAttribute(q, record.info, pixels, { pixels: true }));
  });
