/**
 * GET /api/v1/maximize: the input that maximizes a class (or unit), as a PNG or JSON, cacheable forever.
 * GET /api/v1/maximize/events: the same computation streamed as server-sent events (progress, then the result).
 */
import { Hono, type Context } from 'hono';
import { ascend, type AscentResult } from '../../engine/ascent.js';
import { CompileError, ModelError } from '../../compiler/index.js';
import { checkBudget, gradientGflop } from '../budget.js';
import { IMMUTABLE, canonicalQuery, matchesEtag, strongEtag } from '../cache.js';
import { maximizeQuery } from '../params/maximize.js';
import { parseQuery } from '../params/query.js';
import { planMaximize, type MaximizePlan, type OutputSpec } from '../plan.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { bestIndex, renderJson, renderPng } from '../render.js';
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

interface Prepared {
  record: ModelRecord;
  plan: MaximizePlan;
  /** canonical query string of the requested result, and of its twin in the other format */
  canonical: string;
  twin: string;
  etag: string;
}

async function prepare(c: Context<AppEnv>): Promise<Prepared> {
  const q = parseQuery(new URL(c.req.url), maximizeQuery);
  const record = await requireModel(c, q.model);
  const plan = planMaximize(q, record.info, c.var.app.samples());
  const canonical = canonicalQuery(plan.canonical);
  return { record, plan, canonical, twin: canonicalQuery(plan.twin.canonical), etag: await strongEtag(canonical) };
}

async function compute(c: Context<AppEnv>, p: Prepared, onStep?: Parameters<typeof ascend>[1]['onStep']): Promise<{ result: AscentResult; gflop: number }> {
  const { plan } = p;
  const runner = await c.var.app.programs.runner(p.record, plan.target).catch((e) => programProblem(e, plan.target));
  const gflop = gradientGflop(runner.meta.forwardFlops, plan.steps, plan.batch, runner.fixedBatch);
  checkBudget(gflop, c.var.app.maxGflop);
  const result = await runner.exclusive(() => ascend(runner, {
    layout: plan.layout,
    grid: plan.grid,
    constraints: plan.constraints,
    optimizer: plan.optimizer,
    lr: plan.lr,
    steps: plan.steps,
    regularization: plan.regularization,
    starts: plan.starts(),
    batch: plan.batch,
    weights: plan.weights(runner.meta.units),
    traceClass: Array(plan.batch).fill(plan.classIndex ?? -1),
    seed: plan.seed,
    ...(onStep ? { onStep } : {}),
  }));
  return { result, gflop };
}

/** The result in one output format, as the immutable response cached under its canonical query. */
async function encode(p: Prepared, result: AscentResult, gflop: number, output: OutputSpec, entries: [string, string | number][], query: string): Promise<Response> {
  const headers = { ETag: await strongEtag(query), 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': query };
  if (output.format === 'png') {
    // the numbers a page shows under an embedded image, without a second request for the JSON
    const best = bestIndex(result);
    const k = p.plan.classIndex;
    const probabilities = result.probabilities.subarray(best * result.classes, (best + 1) * result.classes);
    let top = 0;
    for (let c = 1; c < result.classes; c++) if (probabilities[c]! > probabilities[top]!) top = c;
    const summary: Record<string, string> = {
      'X-Ascent-Predicted': String(top),
      'X-Ascent-Objective': String(Number(result.objective[best]!.toPrecision(7))),
      ...(k !== null ? { 'X-Ascent-Probability': String(Number(probabilities[k]!.toPrecision(7))) } : {}),
    };
    return new Response(renderPng(result, p.plan, output, query), { headers: { ...headers, ...summary, 'Content-Type': 'image/png' } });
  }
  const json = renderJson(result, p.plan, p.record.info, output, entries, query, { gflop: Number(gflop.toFixed(4)) });
  return new Response(JSON.stringify(json), { headers: { ...headers, 'Content-Type': 'application/json' } });
}

/**
 * Computes and caches the result; with `twin`, also in the other format (the playground streams the JSON, then
 * shows the image).
 */
async function computeAndCache(c: Context<AppEnv>, p: Prepared, twin: boolean, onStep?: Parameters<typeof ascend>[1]['onStep']): Promise<Response> {
  const { result, gflop } = await compute(c, p, onStep);
  const main = await encode(p, result, gflop, p.plan.output, p.plan.canonical, p.canonical);
  const writes = [c.var.app.cache.put(p.canonical, main.clone())];
  if (twin) writes.push(c.var.app.cache.put(p.twin, await encode(p, result, gflop, p.plan.twin.output, p.plan.twin.canonical, p.twin)));
  await Promise.all(writes);
  return main;
}

export const maximizeRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const p = await prepare(c);
    const headers = { ETag: p.etag, 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': p.canonical };
    if (matchesEtag(c.req.header('if-none-match'), p.etag)) return c.body(null, 304, headers);
    const cached = await c.var.app.cache.match(p.canonical);
    if (cached) {
      const hit = new Response(cached.body, cached);
      hit.headers.set('X-Ascent-Cache', 'hit');
      return hit;
    }
    const response = await computeAndCache(c, p, false);
    response.headers.set('X-Ascent-Cache', 'miss');
    return response;
  })
  // Server-sent events: `progress` {step, steps, objective, probability} about 64 times, then `result` (the JSON
  // result, with `url`, the canonical URL of the image) or `error` (problem details). A cached result is sent at
  // once; a computed one is cached (JSON and PNG) like a GET.
  .get('/events', async (c) => {
    const p = await prepare(c);
    const jsonQuery = p.plan.output.format === 'json' ? p.canonical : p.twin;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const encoder = new TextEncoder();
    const send = (event: string, data: unknown) => writer.write(encoder.encode(`event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`));
    const every = Math.max(1, Math.floor(p.plan.steps / 64));
    const work = (async () => {
      try {
        const cached = await c.var.app.cache.match(jsonQuery);
        if (cached) {
          await send('result', await cached.text());
          return;
        }
        // Progress is queued, not awaited: the computation holds its program and must not wait on a slow reader.
        // A zero timeout after each event lets the runtime send it now rather than with the result.
        await computeAndCache(c, p, true, async (t, trace) => {
          if (t % every !== 0 && t !== p.plan.steps) return;
          void send('progress', {
            step: t,
            steps: p.plan.steps,
            objective: trace.objective.map((o) => o[t - 1]),
            probability: trace.probability.map((o) => (Number.isNaN(o[t - 1]) ? null : o[t - 1])),
          }).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 0));
        });
        const stored = await c.var.app.cache.match(jsonQuery);
        await send('result', stored ? await stored.text() : '{}');
      } catch (e) {
        const problem = e instanceof ApiProblem ? e : new ApiProblem(500, PROBLEM.internal, 'The computation failed.');
        if (!(e instanceof ApiProblem)) console.error('events: computation failed', e);
        await send('error', problem.body()).catch(() => undefined);
      } finally {
        await writer.close().catch(() => undefined);
      }
    })();
    try {
      c.executionCtx.waitUntil(work);
    } catch {
      // no execution context outside Workers (Node hosts): the stream keeps the work alive
    }
    return new Response(readable, {
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Ascent-Params': p.canonical },
    });
  });
