/**
 * GET /api/v1/models and /api/v1/models/{id}: the model catalogue, and the image priors (`priors`). A single model
 * is described with what can be asked of it: the intermediate tensors layer= may name (name, op, shape, units, and
 * the units that were 0 on every shipped test image) and what the CPU budget allows (steps of one image, restarts
 * of the default steps).
 */
import { Hono, type Context } from 'hono';
import { maximizeCpuMs, stepsWithin } from '../../budget/cpu.js';
import { withNodes } from '../../budget/nodes.js';
import { deadUnits } from '../../engine/activity.js';
import type { ModelRecord } from '../../registry/types.js';
import type { AppEnv } from '../app-env.js';
import { requireModel } from '../http.js';
import { DEFAULT_STEPS } from '../maximize/defaults.js';
import { maximizeQuery } from '../params/maximize.js';
import { allowedFor } from '../params/query.js';

const MAX_STEPS = (allowedFor(maximizeQuery, 'steps').maximum as number | undefined) ?? 4096;
const MAX_RESTARTS = (allowedFor(maximizeQuery, 'restarts').maximum as number | undefined) ?? 64;

/** The tensors with their inactive units (or why those are not known). */
async function tensorsOf(c: Context<AppEnv>, record: ModelRecord) {
  const app = c.var.app;
  const tensors = await app.activity.tensors(record);
  const activity = await app.activity.activity(record);
  const byName = new Map(activity.tensors.map((t) => [t.name, t]));
  return {
    tensors: tensors.map((t) => {
      const a = byName.get(t.name);
      return { name: t.name, op: t.op, shape: t.shape, units: t.units, ...(a ? { inactive: deadUnits(a) } : {}) };
    }),
    activity: activity.images > 0
      ? { images: activity.images, note: `inactive: the units that were 0 on all ${activity.images} shipped test images` }
      : { images: 0, note: `unit activity is not known: ${activity.reason}` },
  };
}

/** What one request on this model may ask for within the CPU limit. */
async function budgetOf(c: Context<AppEnv>, record: ModelRecord) {
  const { limits, programs } = c.var.app;
  const runner = await programs.runner(record, 'logit');
  const cpu = withNodes(c.var.app.cpu, runner.meta.nodes, runner.engine);
  const work = { forwardFlops: runner.meta.forwardFlops, fixedBatch: runner.fixedBatch };
  let restarts = 1;
  while (restarts < MAX_RESTARTS && maximizeCpuMs(cpu, { ...work, batch: restarts + 1, steps: DEFAULT_STEPS }) <= limits.cpuMs) restarts++;
  return {
    cpuMs: limits.cpuMs,
    defaultRequestCpuMs: Math.round(maximizeCpuMs(cpu, { ...work, batch: 1, steps: DEFAULT_STEPS })),
    forwardMflop: Number((work.forwardFlops / 1e6).toFixed(3)),
    maxSteps: Math.min(MAX_STEPS, stepsWithin(cpu, { ...work, batch: 1 }, limits.cpuMs)),
    maxRestarts: restarts,
  };
}

export const modelsRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const models = await c.var.app.registry.list();
    // the learned image priors maximize= can search through (prior=<id>)
    const priors = (c.var.app.priors?.list() ?? []).map(({ file: _file, ...p }) => p);
    return c.json({ models, priors }, 200, { 'cache-control': 'public, max-age=60' });
  })
  .get('/:id', async (c) => {
    const record = await requireModel(c, c.req.param('id'), 'id');
    const [tensors, budget] = await Promise.all([tensorsOf(c, record), budgetOf(c, record)]);
    return c.json({ ...record.info, ...tensors, budget }, 200, { 'cache-control': 'public, max-age=60' });
  });
