/**
 * Build-time facts about the API, read from the code that serves it: the zod objects that validate requests and
 * generate /api/v1/openapi.json, and the table of defaults the planner fills in. So the pages' controls, defaults
 * and bounds cannot drift from what the server does. Only .astro front matter and Node tests import this file;
 * nothing here reaches the browser except the data it returns.
 */
import { openApiDocument } from '../../../functions/api/routes/openapi.ts';
import { PRESET_SETTINGS } from '../../../functions/api/maximize/defaults.ts';
import { PROBLEM } from '../../../functions/api/problem.ts';
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

/** The query parameters of an operation of the OpenAPI document, in the API's order. */
function operationParams(path: '/api/v1/maximize' | '/api/v1/attribute' | '/api/v1/models', method: 'get' | 'post'): ParamSpec[] {
  const operation = (openApiDocument().paths[path] as Record<string, { parameters?: OpenApiParameter[] }>)[method];
  return (operation?.parameters ?? []).map(spec);
}

/** The query parameters of GET /api/v1/maximize, in the API's order. */
export const maximizeParams = (): ParamSpec[] => operationParams('/api/v1/maximize', 'get');

/** The query parameters of GET /api/v1/attribute, in the API's order. */
export const attributeParams = (): ParamSpec[] => operationParams('/api/v1/attribute', 'get');

/** The description fields of an upload (POST /api/v1/models), as query parameters. */
export const uploadParams = (): ParamSpec[] => operationParams('/api/v1/models', 'post');

/** A lookup of parameters by name for a page's controls; an unknown name fails the build. */
export function paramLookup(specs: ParamSpec[], endpoint: string): (name: string) => ParamSpec {
  return (name) => {
    const s = specs.find((p) => p.name === name);
    if (!s) throw new Error(`${endpoint} has no parameter ${name}`);
    return s;
  };
}

/** A lookup of maximize parameters by name. */
export const maximizeParam = (specs: ParamSpec[] = maximizeParams()) => paramLookup(specs, 'maximize');

/**
 * What the API fills in for the parameters whose defaults are not constants of the schema (they depend on the
 * preset or on the model's range), per preset: the planner's own table (functions/api/maximize/defaults.ts).
 */
export function plannedDefaults(): Record<string, PlannedDefaults> {
  return { ...PRESET_SETTINGS };
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
