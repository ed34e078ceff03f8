/** GET /api/v1/models and /api/v1/models/{id}: the model catalogue. */
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.js';
import { requireModel } from '../http.js';

export const modelsRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const models = await c.var.app.registry.list();
    return c.json({ models }, 200, { 'cache-control': 'public, max-age=60' });
  })
  .get('/:id', async (c) => {
    const record = await requireModel(c, c.req.param('id'), 'id');
    return c.json(record.info, 200, { 'cache-control': 'public, max-age=60' });
  });
