/** GET /api/v1/models and /api/v1/models/{id}: the model catalogue, and the image priors (`priors`). */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.js';
import { requireModel } from '../http.js';

export const modelsRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const models = await c.var.app.registry.list();
    // the learned image priors maximize= can search through (prior=<id>)
    const priors = (c.var.app.priors?.list() ?? []).map(({ file: _file, ...p }) => p);
    return c.json({ models, priors }, 200, { 'cache-control': 'public, max-age=60' });
  })
  .get('/:id', async (c) => {
    const record = await requireModel(c, c.req.param('id'), 'id');
    return c.json(record.info, 200, { 'cache-control': 'public, max-age=60' });
  });
