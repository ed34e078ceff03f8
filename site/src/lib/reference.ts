/**
 * Build-time facts about the API, read from the code that serves it: the zod objects that validate requests and
 * generate /api/v1/openapi.json, and the planner that fills in the defaults. So the pages' controls, defaults
 * and bounds cannot drift from what the server does. Only .astro front matter and Node tests import this file;
 * nothing here reaches the browser except the data it returns.
 */
import { openApiDocument } from '../../../functions/api/routes/openapi.ts';
import { PRESETS, maximizeQuery } from '../../../functions/api/params/maximize.ts';
import { planMaximize } from '../../../functions/api/plan.ts';
import { PROBLEM } from '../../../functions/api/problem.ts';
import { manifestEntries, manifestInfo } from '../../../functions/registry/manifest.ts';
import manifest from '../../../models/manifest.json';
import type { ParamSpec, PlannedDefaults } from '../scripts/types.ts';

interface OpenApiParameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Record<string, unknown>;
}

function spec(p: OpenApiParameter): ParamSpec {
  const s = p.schema;
  const out: ParamSpec = { name: p.name, required: p.required };
  if (p.description) out.description = p.description;
  if (typeof s.type === 'string') out.type = s.type;
  if (typeof s.default === 'string' || typeof s.default === 'number') out.default = s.default;
  if (Array.isArray(s.enum)) out.enum = s.enum.map(String);
  if (typeof s.minimum === 'number') out.minimum = s.minimum;
  if (typeof s.maximum === 'number') out.maximum = s.maximum;
  if (typeof s.exclusiveMinimum === 'number') out.exclusiveMinimum = s.exclusiveMinimum;
  if (typeof s.maxLength === 'number') out.maxLength = s.maxLength;
  if (typeof s.pattern === 'string') out.pattern = s.pattern;
  return out;
}

/** The query parameters of GET /api/v1/maximize, in the API's order. */
export function maximizeParams(): ParamSpec[] {
  const doc = openApiDocument();
  return (doc.paths['/api/v1/maximize'].get.parameters as OpenApiParameter[]).map(spec);
}

/** A lookup of maximize parameters by name for a page's controls; an unknown name fails the build. */
export function maximizeParam(specs: ParamSpec[] = maximizeParams()): (name: string) => ParamSpec {
  return (name) => {
    const s = specs.find((p) => p.name === name);
    if (!s) throw new Error(`maximize has no parameter ${name}`);
    return s;
  };
}

/**
 * What the API fills in for the parameters whose defaults are not constants of the schema (they depend on the
 * preset or on the model's range), per preset: asked from the planner itself with a minimal request.
 */
export function plannedDefaults(): Record<string, PlannedDefaults> {
  const info = manifestInfo(manifestEntries(manifest)[0]!);
  const width = info.input.max - info.input.min;
  const out: Record<string, PlannedDefaults> = {};
  for (const preset of PRESETS) {
    const plan = planMaximize(maximizeQuery.parse({ model: info.id, class: '0', preset }), info, undefined);
    const canonical = Object.fromEntries(plan.canonical);
    const r = plan.regularization;
    out[preset] = {
      init: String(canonical.init),
      lrFraction: Number((plan.lr / width).toPrecision(6)),
      l2: r.l2, l1: r.l1, tv: r.tv, blur: r.blur, blur_every: r.blurEvery, jitter: r.jitter,
    };
  }
  return out;
}

/** Every problem type id the API can answer with (functions/api/problem.ts). */
export const problemIds: string[] = Object.values(PROBLEM);

export interface BuiltinModel {
  id: string;
  title: string;
  labels: string[];
  architecture?: string | undefined;
}

/** The models that ship with Ascent (models/manifest.json), for the pages that list them without a request. */
export const builtinModels: BuiltinModel[] = manifest.models.map((m) => ({ id: m.id, title: m.title, labels: m.labels, architecture: m.architecture }));
