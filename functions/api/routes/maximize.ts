/**
 * GET /api/v1/maximize: the input that maximizes a class (or unit), as a PNG or JSON, cacheable forever.
 * GET /api/v1/maximize/events: the same computation streamed as server-sent events (progress, then the result).
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AscentSpec } from '../../engine/ascent.js';
import type { LatentSearch } from '../../engine/latent.js';
import { CompileError, ModelError, isLogitTarget } from '../../compiler/index.js';
import type { ModelRecord } from '../../registry/types.js';
import type { AppEnv } from '../app-env.js';
import { checkBudget, frameGflop, gradientGflop } from '../budget.js';
import { frameSteps } from '../../encode/frames.js';
import { IMMUTABLE, matchesEtag, strongEtag } from '../cache.js';
import { requireModel } from '../http.js';
import { canonicalQuery, engineEntry, type Entries } from '../maximize/canonical.js';
import { ascentSpec, planMaximize, type MaximizePlan } from '../maximize/plan.js';
import { resultResponse } from '../maximize/render.js';
import { maximizeQuery } from '../params/maximize.js';
import { parseQuery } from '../params/query.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import type { EngineName, Program } from '../programs.js';

/** Compile problems caused by the request (an unknown layer name) are the client's; others are the model's. */
function programProblem(e: unknown, target: string): never {
  if (e instanceof ModelError && !isLogitTarget(target)) {
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
  const plan = planMaximize(q, record.info, c.var.app.samples(), c.var.app.priors?.list());
  const canonical = canonicalQuery(plan.canonical);
  return { record, plan, canonical, twin: canonicalQuery(plan.twin.canonical), etag: await strongEtag(canonical) };
}

/** Pixels of the image a result is encoded as (a grid of all restarts with pick=all): one frame of its GIF. */
function imagePixels(plan: MaximizePlan): number {
  const { layout, batch } = plan.spec;
  const { pick, scale } = plan.output;
  const n = pick === 'all' ? batch : 1;
  const columns = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / columns);
  const gap = Math.max(2, scale);
  return (columns * layout.width * scale + (columns - 1) * gap) * (rows * layout.height * scale + (rows - 1) * gap);
}

/**
 * The request's keys for the engine that runs it: the model's engine (part of the key from the start, so a cache
 * hit needs no program), unless this target's program has an op the kernel does not cover and runs on
 * onnxruntime, whose results are other results.
 */
async function onEngine(p: Prepared, engine: EngineName): Promise<Prepared> {
  if (engine === p.plan.engine) return p;
  const swap = (entries: Entries): Entries => entries.map((e) => (e[0] === 'engine' ? engineEntry(engine) : e));
  const plan = { ...p.plan, canonical: swap(p.plan.canonical), twin: { ...p.plan.twin, canonical: swap(p.plan.twin.canonical) } };
  const canonical = canonicalQuery(plan.canonical);
  return { ...p, plan, canonical, twin: canonicalQuery(plan.twin.canonical), etag: await strongEtag(canonical) };
}

/** A computation ready to run: its keys (for the engine that runs it), program, the engine's whole spec and cost. */
interface Ready {
  p: Prepared;
  runner: Program;
  spec: AscentSpec;
  gflop: number;
}

/**
 * The program and spec of the plan (snapshots, a prior's search); refused with 422 when the request is over the
 * budget (400 for a unit its tensor lacks), before anything runs.
 */
async function ready(c: Context<AppEnv>, planned: Prepared): Promise<Ready> {
  const { programs } = c.var.app;
  const { target } = planned.plan.objective;
  const prior = planned.plan.prior ? c.var.app.priors?.get(planned.plan.prior.id) : undefined;
  const runner = await programs.runner(planned.record, target, prior, planned.plan.engine).catch((e) => programProblem(e, target));
  const p = await onEngine(planned, runner.engine);
  const { plan, record } = p;
  const spec = ascentSpec(plan, runner.meta);
  const animation = plan.output.animation;
  const gflop = gradientGflop(runner.meta.forwardFlops, spec.steps, spec.batch, runner.fixedBatch)
    + (animation ? frameGflop(animation.frames, imagePixels(plan)) : 0);
  checkBudget(gflop, c.var.app.maxGflop, animation ? 'Lower steps, restarts, frames or scale (frames count as computation).' : undefined);
  const snapshots = animation ? { snapshots: frameSteps(spec.steps, animation.frames, animation.spacing) } : {};
  // through a prior: G for the final images, and the classifier on pixels to score their 8-bit versions
  let latent: LatentSearch | undefined;
  if (plan.prior && prior) {
    const [decoder, pixels] = await Promise.all([programs.decoder(prior), programs.runner(record, target, undefined, plan.engine)]);
    latent = {
      zmax: plan.prior.zmax,
      norm: 'l2',
      decode: (z, n) => decoder.decode(z, n, spec.grid),
      pixels: { ...pixels, run: (x, n, w) => pixels.exclusive(() => pixels.run(x, n, w)) },
    };
  }
  return { p, runner, spec: { ...spec, ...snapshots, ...(latent ? { latent } : {}) }, gflop };
}

/**
 * Computes and caches the result; with `twin`, also in the other format (the playground streams the JSON, then
 * shows the image).
 */
async function computeAndCache(c: Context<AppEnv>, { p, runner, spec, gflop }: Ready, twin: boolean, onStep?: AscentSpec['onStep']): Promise<Response> {
  const { plan, record } = p;
  const result = await runner.ascend({ ...spec, ...(onStep ? { onStep } : {}) });
  const work = { gflop: Number(gflop.toFixed(4)) };
  const { deflate } = c.var.app;
  const main = await resultResponse(result, plan, record.info, plan.output, plan.canonical, p.canonical, work, deflate);
  const writes = [c.var.app.cache.put(p.canonical, main.clone())];
  if (twin) writes.push(c.var.app.cache.put(p.twin, await resultResponse(result, plan, record.info, plan.twin.output, plan.twin.canonical, p.twin, work, deflate)));
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
    const main = await computeAndCache(c, await ready(c, p), false);
    main.headers.set('X-Ascent-Cache', 'miss');
    return main;
  })
  // Server-sent events: `progress` {step, steps, objective, probability} about 64 times, then `result` (the JSON
  // result, with `url`, the canonical URL of the image) or `error` (problem details). A cached result is sent at
  // once; a computed one is cached (JSON and PNG) like a GET. Problems found before computing (parameters, a unit
  // the tensor lacks, the budget) are 4xx responses, not events.
  .get('/events', async (c) => {
    const p = await prepare(c);
    const jsonQuery = (q: Prepared) => (q.plan.output.format === 'json' ? q.canonical : q.twin);
    const cached = await c.var.app.cache.match(jsonQuery(p));
    const program = cached ? undefined : await ready(c, p);
    const steps = p.plan.spec.steps;
    const every = Math.max(1, Math.floor(steps / 64));
    let finished!: () => void;
    const done = new Promise<void>((resolve) => { finished = resolve; });
    c.header('X-Ascent-Params', p.canonical);
    const response = streamSSE(c, async (stream) => {
      try {
        if (!program) {
          await stream.writeSSE({ event: 'result', data: await cached!.text() });
          return;
        }
        // Progress is queued, not awaited: the computation holds its program and must not wait on a slow reader.
        // A zero timeout after each event lets the runtime send it now rather than with the result.
        await computeAndCache(c, program, true, async (t, trace) => {
          if (t % every !== 0 && t !== steps) return;
          void stream.writeSSE({
            event: 'progress',
            data: JSON.stringify({
              step: t,
              steps,
              objective: trace.objective.map((o) => o[t - 1]),
              probability: trace.probability.map((o) => (Number.isNaN(o[t - 1]) ? null : o[t - 1])),
            }),
          });
          await new Promise((resolve) => setTimeout(resolve, 0));
        });
        const stored = await c.var.app.cache.match(jsonQuery(program.p));
        await stream.writeSSE({ event: 'result', data: stored ? await stored.text() : '{}' });
      } catch (e) {
        const problem = e instanceof ApiProblem ? e : new ApiProblem(500, PROBLEM.internal, 'The computation failed.');
        if (!(e instanceof ApiProblem)) console.error('events: computation failed', e);
        await stream.writeSSE({ event: 'error', data: JSON.stringify(problem.body()) });
      } finally {
        finished();
      }
    });
    response.headers.set('Cache-Control', 'no-store');
    try {
      // the computation finishes (and is cached) even when the reader leaves
      c.executionCtx.waitUntil(done);
    } catch {
      // no execution context outside Workers (Node hosts): the stream keeps the work alive
    }
    return response;
  });
