/**
 * GET /api/v1/maximize: the input that maximizes a class (or unit), as a PNG or JSON, cacheable forever.
 * GET /api/v1/maximize/events: the same computation streamed as server-sent events (progress, then the result).
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AscentResult, AscentSpec } from '../../engine/ascent.js';
import { nonFinitePart } from '../../engine/finite.js';
import type { LatentSearch } from '../../engine/latent.js';
import { CompileError, ModelError, isLogitTarget } from '../../compiler/index.js';
import { frameCpuMs, rowsFor } from '../../budget/cpu.js';
import { maximizeNeed, type MaximizeOutput } from '../../budget/maximize.js';
import { withNodes } from '../../budget/nodes.js';
import type { ModelRecord } from '../../registry/types.js';
import type { AppEnv } from '../app-env.js';
import { checkBudget, planSteps, type StepsPlan } from '../budget.js';
import { frameSteps } from '../../encode/frames.js';
import { immutableHeaders, storedResponse, strongEtag } from '../cache.js';
import { heldResult, requireModel } from '../http.js';
import { canonicalQuery, engineEntry, type Entries } from '../maximize/canonical.js';
import { ascentSpec, planMaximize, type MaximizePlan } from '../maximize/plan.js';
import type { OutputSpec } from '../maximize/output.js';
import { bestIndex, resultBody, type ResultFacts } from '../maximize/render.js';
import { warningsFor, type UnitActivity } from '../maximize/warnings.js';
import { closest } from '../params/suggest.js';
import { maximizeQuery } from '../params/maximize.js';
import { parseQuery } from '../params/query.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import type { EngineName, Program } from '../programs.js';
import { rateLimit } from '../rate-limit.js';

/**
 * Compile problems caused by the request (a layer name the model does not have: with the closest names) are the
 * client's; others are the model's.
 */
async function programProblem(c: Context<AppEnv>, record: ModelRecord, e: unknown, target: string): Promise<never> {
  if (e instanceof ModelError && !isLogitTarget(target)) {
    const tensors = await c.var.app.activity.tensors(record).catch(() => []);
    const names = tensors.map((t) => t.name);
    const near = closest(target, names, Math.max(2, Math.floor(target.length / 4)));
    const hint = names.includes(target) ? '' : near.length ? ` Did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
    throw new ApiProblem(400, PROBLEM.badParameter,
      `Parameter "layer": ${e.message}.${hint} GET /api/v1/models/${record.info.id} lists the ${names.length} tensors you can maximize.`,
      { parameter: 'layer', allowed: names });
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
  const url = new URL(c.req.url);
  const q = parseQuery(url, maximizeQuery);
  const record = await requireModel(c, q.model);
  // the test images are parsed only when the start is one of them (init=sample)
  const plan = planMaximize(q, record.info, () => c.var.app.samples(), c.var.app.priors?.list(), url.searchParams.has('steps'));
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

/** The keys with one canonical entry replaced. */
async function withEntry(p: Prepared, name: string, entry: Entries[number]): Promise<Prepared> {
  const swap = (entries: Entries): Entries => entries.map((e) => (e[0] === name ? entry : e));
  const plan = { ...p.plan, canonical: swap(p.plan.canonical), twin: { ...p.plan.twin, canonical: swap(p.plan.twin.canonical) } };
  const canonical = canonicalQuery(plan.canonical);
  return { ...p, plan, canonical, twin: canonicalQuery(plan.twin.canonical), etag: await strongEtag(canonical) };
}

/**
 * The request's keys for the engine that runs it: the model's engine (part of the key from the start, so a cache
 * hit needs no program), unless this target's program has an op the kernel does not cover and runs on
 * onnxruntime, whose results are other results.
 */
async function onEngine(p: Prepared, engine: EngineName): Promise<Prepared> {
  return engine === p.plan.engine ? p : withEntry(p, 'engine', engineEntry(engine));
}

/** A computation ready to run: its keys (for the engine that runs it), its program, the engine's spec, and the steps within the budget. */
interface Ready {
  p: Prepared;
  runner: Program;
  spec: AscentSpec;
  steps: StepsPlan;
}

/** An output as the memory and response estimate counts it. */
function counted(o: OutputSpec, channels: number): MaximizeOutput {
  return { format: o.format, pick: o.pick, scale: o.scale, colour: channels === 3 || o.colormap !== 'gray', ...(o.animation ? { frames: o.animation.frames } : {}) };
}

/**
 * Refuses (422) a request whose memory or response body would be over the limits, from the program's sizes and
 * the outputs it renders (`twin`: the other format too), before anything runs.
 */
function checkSizes(c: Context<AppEnv>, plan: MaximizePlan, runner: Program, steps: number, twin: boolean): void {
  const { layout, batch } = plan.spec;
  const outputs = [plan.output, ...(twin ? [plan.twin.output] : [])].map((o) => counted(o, layout.channels));
  const need = maximizeNeed({
    program: runner.meta.memory, rows: rowsFor(batch, runner.fixedBatch), batch, steps, classes: runner.classes,
    image: { height: layout.height, width: layout.width, channels: layout.channels }, latent: plan.prior?.latent ?? 0, outputs,
  });
  const advice = plan.output.format === 'json'
    ? 'Lower restarts, or use pick=best (all restarts are then listed by their scores only).'
    : `Lower ${plan.output.animation ? 'frames, ' : ''}scale or restarts, or use pick=best.`;
  checkBudget(need, c.var.app.limits, 'This request', advice);
}

/**
 * The program and spec of the plan (snapshots, a prior's search, the steps within the budget); refused with 422
 * when the request is over the budget (CPU, memory, response size; 400 for a unit its tensor lacks), before
 * anything runs.
 */
async function ready(c: Context<AppEnv>, planned: Prepared, twin = false): Promise<Ready> {
  const app = c.var.app;
  const { target } = planned.plan.objective;
  const prior = planned.plan.prior ? await app.priors?.get(planned.plan.prior.id) : undefined;
  await rateLimit(c, 'compute');
  const runner = await app.programs.runner(planned.record, target, prior, planned.plan.engine).catch((e) => programProblem(c, planned.record, e, target));
  const onIts = await onEngine(planned, runner.engine);
  const { plan, record } = onIts;
  const spec = ascentSpec(plan, runner.meta);
  const animation = plan.output.animation;
  const extra = animation
    ? { cpuMs: frameCpuMs(animation.frames, imagePixels(plan)), advice: 'Lower steps, restarts, frames or scale (frames count as computation).' }
    : undefined;
  const steps = planSteps(withNodes(app.cpu, runner.meta.nodes, runner.engine), app.limits, { forwardFlops: runner.meta.forwardFlops, fixedBatch: runner.fixedBatch, batch: spec.batch }, spec.steps, plan.stepsGiven, extra);
  checkSizes(c, plan, runner, steps.steps, twin);
  // steps left out and fewer than the default fit: the result is cached under the steps it ran
  const p = steps.reduced ? await withEntry(onIts, 'steps', ['steps', steps.steps]) : onIts;
  const snapshots = animation ? { snapshots: frameSteps(steps.steps, animation.frames, animation.spacing) } : {};
  // through a prior: G for the final images, and the classifier on pixels to score their 8-bit versions
  let latent: LatentSearch | undefined;
  if (plan.prior && prior) {
    const [decoder, pixels] = await Promise.all([app.programs.decoder(prior), app.programs.runner(record, target, undefined, plan.engine)]);
    latent = {
      zmax: plan.prior.zmax,
      norm: 'l2',
      decode: (z, n) => decoder.decode(z, n, spec.grid),
      pixels: { ...pixels, run: (x, n, w) => pixels.exclusive(() => pixels.run(x, n, w)) },
    };
  }
  return { p, runner, spec: { ...spec, steps: steps.steps, ...snapshots, ...(latent ? { latent } : {}) }, steps };
}

/** What each restart's result says about itself; the unit's activity is looked up only when it matters. */
async function resultWarnings(c: Context<AppEnv>, run: Ready, result: AscentResult): Promise<string[][]> {
  const { plan, record } = run.p;
  const o = plan.objective;
  let unit: UnitActivity | undefined;
  if (o.unit !== null && result.stall.some((s) => s.zeroGradientAtStart)) {
    const activity = await c.var.app.activity.activity(record).catch(() => undefined);
    const t = activity?.tensors.find((x) => x.name === o.target);
    if (activity && t && o.unit < t.active.length) unit = { active: t.active[o.unit]!, best: t.best[o.unit]!, images: activity.images };
  }
  return result.stall.map((stall, s) => warningsFor({
    stall,
    steps: run.spec.steps,
    objective: o,
    labels: record.info.labels,
    starts: [plan.start.init, ...plan.start.fallbacks],
    first: result.trace.objective[s]![0] ?? NaN,
    final: result.objective[s]!,
    probabilities: result.probabilities.subarray(s * result.classes, (s + 1) * result.classes),
    target: o.target,
    ...(unit ? { unit } : {}),
    ...(run.steps.reduced ? { reduced: run.steps.reduced } : {}),
  }));
}

/**
 * Computes and caches the result; with `twin`, also in the other format (the playground streams the JSON, then
 * shows the image).
 */
async function computeAndCache(c: Context<AppEnv>, run: Ready, twin: boolean, onStep?: AscentSpec['onStep']): Promise<{ response: Response; warnings: string[] }> {
  const { p } = run;
  const { plan, record } = p;
  const result = await run.runner.ascend({ ...run.spec, ...(onStep ? { onStep } : {}) });
  // the program's memory may have grown with this batch: keep the isolate's programs within their bytes
  c.var.app.programs.settle();
  const broken = nonFinitePart(result);
  if (broken) {
    throw new ApiProblem(422, PROBLEM.nonFinite,
      `The computation's ${broken} became NaN or infinite (the model overflows somewhere in the searched range, or the step size or regularizer weights are too large); nothing is served or cached. Narrow min/max or lower lr.`);
  }
  const facts: ResultFacts = { warnings: await resultWarnings(c, run, result), steps: run.spec.steps, work: { cpuMs: Math.round(run.steps.need.cpuMs) } };
  const { deflate } = c.var.app;
  // the cache keeps the encoded bytes and the response sent is made from them (no tee or read of a body stream)
  const main = await resultBody(result, plan, record.info, plan.output, plan.canonical, p.canonical, facts, deflate);
  const writes = [c.var.app.cache.put(p.canonical, main)];
  if (twin) writes.push(c.var.app.cache.put(p.twin, await resultBody(result, plan, record.info, plan.twin.output, plan.twin.canonical, p.twin, facts, deflate)));
  await Promise.all(writes);
  return { response: storedResponse(main), warnings: facts.warnings[bestIndex(result)] ?? [] };
}

export const maximizeRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const p = await prepare(c);
    const held = await heldResult(c, p.canonical, immutableHeaders(p.etag, p.canonical));
    if (held) return held;
    const run = await ready(c, p);
    const onItsEngine = run.p === p ? undefined : await c.var.app.cache.match(run.p.canonical);
    if (onItsEngine) {
      const hit = new Response(onItsEngine.body, onItsEngine);
      hit.headers.set('X-Ascent-Cache', 'hit');
      return hit;
    }
    const { response } = await computeAndCache(c, run, false);
    response.headers.set('X-Ascent-Cache', 'miss');
    return response;
  })
  // Server-sent events: `progress` {step, steps, objective, probability} about 64 times, then `warning`
  // {warnings} when the result has something to say, then `result` (the JSON result, with `url`, the URL of the
  // image, and `warnings`) or `error` (problem details). A cached result is sent at once; a computed one is cached
  // (JSON and PNG) like a GET. Problems found before computing (parameters, a unit the tensor lacks, the budget)
  // are 4xx responses, not events.
  .get('/events', async (c) => {
    const p = await prepare(c);
    const jsonQuery = p.plan.output.format === 'json' ? p.canonical : p.twin;
    const cachedFirst = await c.var.app.cache.match(jsonQuery);
    const run = cachedFirst ? undefined : await ready(c, p, true);
    const steps = run?.spec.steps ?? p.plan.spec.steps;
    const every = Math.max(1, Math.floor(steps / 64));
    let finished!: () => void;
    const done = new Promise<void>((resolve) => { finished = resolve; });
    c.header('X-Ascent-Params', p.canonical);
    const response = streamSSE(c, async (stream) => {
      try {
        if (!run) {
          await stream.writeSSE({ event: 'result', data: await cachedFirst!.text() });
          return;
        }
        // Progress is queued, not awaited: the computation holds its program and must not wait on a slow reader.
        // A zero timeout after each event lets the runtime send it now rather than with the result.
        const { warnings } = await computeAndCache(c, run, true, async (t, trace) => {
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
        if (warnings.length) await stream.writeSSE({ event: 'warning', data: JSON.stringify({ warnings }) });
        const stored = await c.var.app.cache.match(run.p.plan.output.format === 'json' ? run.p.canonical : run.p.twin);
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
