/** GET /api/v1/maximize: the input that maximizes a class (or unit), as a PNG or JSON, cacheable forever. */
import { Hono, type Context } from 'hono';
import { ascend } from '../../engine/ascent.js';
import { CompileError, ModelError } from '../../compiler/index.js';
import { checkBudget, gradientGflop } from '../budget.js';
import { IMMUTABLE, canonicalQuery, matchesEtag, strongEtag } from '../cache.js';
import { maximizeQuery } from '../params/maximize.js';
import { parseQuery } from '../params/query.js';
import { planMaximize } from '../plan.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { renderJson, renderPng } from '../render.js';
import type { AppEnv } from '../app.js';
import type { ModelRecord } from '../../registry/types.js';

export async function requireModel(c: Context<AppEnv>, id: string): Promise<ModelRecord> {
  const record = await c.var.app.registry.get(id);
  if (!record) {
    const known = (await c.var.app.registry.list()).map((m) => m.id);
    throw new ApiProblem(404, PROBLEM.unknownModel, `There is no model "${id}". Known models: ${known.join(', ')}.`, { parameter: 'model', allowed: known });
  }
  return record;
}

/** Compile problems caused by the request (an unknown layer name) are the client's; others are the model's. */
function programProblem(e: unknown, target: string): never {
  if (e instanceof ModelError && !['logit', 'logprob', 'prob'].includes(target)) {
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "layer": ${e.message}.`, { parameter: 'layer' });
  }
  if (e instanceof ModelError || e instanceof CompileError) {
    throw new ApiProblem(422, PROBLEM.unsupportedModel, `The model cannot be differentiated: ${e.message}.`);
  }
  throw e;
}

export const maximizeRoute = new Hono<AppEnv>().get('/', async (c) => {
  const app = c.var.app;
  const q = parseQuery(new URL(c.req.url), maximizeQuery);
  const record = await requireModel(c, q.model);
  const plan = planMaximize(q, record.info, app.samples());
  const canonical = canonicalQuery(plan.canonical);
  const etag = await strongEtag(canonical);
  const headers = { ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': canonical };
  if (matchesEtag(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);

  const cached = await app.cache.match(canonical);
  if (cached) {
    const hit = new Response(cached.body, cached);
    hit.headers.set('X-Ascent-Cache', 'hit');
    return hit;
  }

  const runner = await app.programs.runner(record, plan.target).catch((e) => programProblem(e, plan.target));
  const gflop = gradientGflop(runner.program.forwardFlops, plan.steps, plan.batch, runner.fixedBatch);
  checkBudget(gflop, app.maxGflop);
  const weights = plan.weights(runner.program.units);
  const result = await ascend(runner, {
    layout: plan.layout,
    grid: plan.grid,
    constraints: plan.constraints,
    optimizer: plan.optimizer,
    lr: plan.lr,
    steps: plan.steps,
    regularization: plan.regularization,
    starts: plan.starts,
    batch: plan.batch,
    weights,
    traceClass: Array(plan.batch).fill(plan.classIndex ?? -1),
    seed: plan.seed,
  });

  const response = plan.output.format === 'png'
    ? new Response(renderPng(result, plan, canonical), { headers: { ...headers, 'Content-Type': 'image/png' } })
    : new Response(JSON.stringify(renderJson(result, plan, record.info, canonical, { gflop: Number(gflop.toFixed(4)) })), {
      headers: { ...headers, 'Content-Type': 'application/json' },
    });
  await app.cache.put(canonical, response.clone());
  response.headers.set('X-Ascent-Cache', 'miss');
  return response;
});
