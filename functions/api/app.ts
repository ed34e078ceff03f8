/**
 * The HTTP shell: routes under /api/v1, CORS, problem+json errors. Handlers parse, call the core, encode;
 * the dependencies they need (model registry, onnxruntime, result cache) are injected so the same app runs in
 * workerd and in Node.
 */
import { Hono } from 'hono';
import { withUploads } from '../registry/uploads.js';
import type { AppContext, AppDeps, AppEnv } from './app-env.js';
import { WORKERD_CPU_MODELS } from '../budget/cpu.js';
import { limitsFrom } from '../budget/limits.js';
import { settleBody } from './http.js';
import { anyOrigin } from './cors.js';
import { ApiProblem, PROBLEM, onError, problemResponse } from './problem.js';
import { ExemplarLogits } from './exemplar-logits.js';
import { ActivityCache } from './activity.js';
import { LayerPrograms } from './layer-programs.js';
import { ProgramCache } from './programs.js';
import { attributeRoute } from './routes/attribute.js';
import { exemplarsRoute } from './routes/exemplars.js';
import { maximizeRoute } from './routes/maximize.js';
import { modelsRoute } from './routes/models.js';
import { openApiRoute } from './routes/openapi.js';
import { predictRoute } from './routes/predict.js';
import { samplesRoute } from './routes/samples.js';
import { uploadRoute } from './routes/upload.js';

export type { AppContext, AppDeps, AppEnv } from './app-env.js';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const limits = limitsFrom(deps.limits ?? {});
  const cpu = deps.cpu ?? WORKERD_CPU_MODELS;
  const context: AppContext = {
    ...deps,
    registry: withUploads(deps.registry, deps.uploads),
    programs: new ProgramCache({
      loadOrt: deps.loadOrt,
      ...(deps.instantiateKernel ? { instantiateKernel: deps.instantiateKernel } : {}),
      ...(deps.builtinProgram ? { builtinProgram: deps.builtinProgram } : {}),
    }, deps.programStore),
    exemplars: new ExemplarLogits(deps.loadOrt, deps.programStore),
    activity: new ActivityCache(deps.loadOrt, deps.samples, { cpu: cpu.onnxruntime, limits }, deps.programStore),
    limits,
    cpu,
    layerPrograms: new LayerPrograms(deps.loadOrt, deps.programStore),
  };
  const api = new Hono<AppEnv>();
  api.use('*', anyOrigin());
  api.use('*', async (c, next) => {
    c.set('app', context);
    await next();
  });
  api.route('/models', uploadRoute);
  api.route('/models', modelsRoute);
  api.route('/maximize', maximizeRoute);
  api.route('/predict', predictRoute);
  api.route('/attribute', attributeRoute);
  api.route('/exemplars', exemplarsRoute);
  api.route('/samples', samplesRoute);
  api.route('/openapi.json', openApiRoute);
  api.notFound((c) =>
    problemResponse(new ApiProblem(404, PROBLEM.notFound, `No API endpoint at ${new URL(c.req.url).pathname}.`)),
  );
  api.onError(onError);

  const app = new Hono<AppEnv>();
  app.use('*', settleBody);
  app.route('/api/v1', api);
  app.notFound((c) => problemResponse(new ApiProblem(404, PROBLEM.notFound, `Nothing at ${new URL(c.req.url).pathname}.`)));
  app.onError(onError);
  return app;
}
