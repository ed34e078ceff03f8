/** GET /api/v1/models and /api/v1/models/{id}: the model catalogue. */
import { Hono } from 'hono';
import { ApiProblem, PROBLEM } from '../problem.js';
import type { AppEnv } from '../app.js';

export const modelsRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const models = await c.var.app.registry.list();
    return c.json({ models }, 200, { 'cache-control': 'public, max-age=60' });
  })
  .get('/:id', async (c) => {
    const id = c.req.param('id');
    const record = await c.var.app.registry.get(id);
    if (!record) {
      const known = (await c.var.app.registry.list()).map((m) => m.id);
      throw new ApiProblem(404, PROBLEM.unknownModel, `There is no model "${id}".`, { parameter: 'id', allowed: known });
    }
    return c.json(record.info, 200, { 'cache-control': 'public, max-age=60' });
  });
