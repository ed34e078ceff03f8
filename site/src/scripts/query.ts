/**
 * Page state <-> API query strings. The pages keep their state in the same parameters the API takes, and send
 * only those that differ from the API's defaults, so the URLs people copy stay short and readable. What a default
 * is, and what changes nothing given the other values, are the server's own rules (functions/api/maximize/defaults.ts).
 */
import { REGULARIZERS, defaultColormap, defaultLr as rangeLr, defaultSteps, irrelevant, startOf, type Given } from '../../../functions/api/maximize/defaults.ts';
import type { ParamSpec, PlannedDefaults } from './types.ts';

export { REGULARIZERS };

export type Values = Record<string, string>;

export interface QueryContext {
  /** the endpoint's parameters in documentation order (the order of the query string) */
  specs: readonly ParamSpec[];
  /** the model's input range, when known (the defaults of lr, min and max derive from it) */
  range?: { min: number; max: number } | undefined;
  /** the defaults the API derives, per preset (at least 'none') */
  defaults: Readonly<Record<string, PlannedDefaults>>;
}

/** The context for a model (its input range), or without one while the models are still loading. */
export function queryContext(data: Pick<QueryContext, 'specs' | 'defaults'>, model: { input: { min: number; max: number } } | undefined): QueryContext {
  return { specs: data.specs, range: model ? { min: model.input.min, max: model.input.max } : undefined, defaults: data.defaults };
}

const isNumeric = (spec: ParamSpec | undefined) => spec?.type === 'number' || spec?.type === 'integer';
const has = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/** A number the page holds, or undefined when it holds none (empty, or text the API will judge). */
function num(values: Values, name: string): number | undefined {
  const v = values[name];
  if (!has(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** The page's values as the shared rules read them. */
function given(values: Values, ctx: QueryContext): Given {
  return {
    settings: plannedFor(values, ctx.defaults),
    init: has(values.init) ? values.init : undefined,
    sample: has(values.sample) ? values.sample : undefined,
    x: has(values.x) ? values.x : undefined,
    eps: num(values, 'eps'),
    restarts: num(values, 'restarts'),
    blur: num(values, 'blur'),
    jitter: num(values, 'jitter'),
    view: values.view,
  };
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** One query value, percent-encoded but keeping the characters that are legal in a query (, / :) readable. */
export function encodeValue(v: string): string {
  return encodeURIComponent(v)
    .replace(/%2C/gi, ',')
    .replace(/%2F/gi, '/')
    .replace(/%3A/gi, ':')
    .replace(/%20/g, '+')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29');
}

export function toSearch(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeValue(v)}`).join('&');
}

/** A query string as values (the first of repeated names wins; the API itself refuses repeats). */
export function parseSearch(search: string): Values {
  const out: Values = {};
  for (const [k, v] of new URLSearchParams(search)) if (!(k in out)) out[k] = v;
  return out;
}

/** Numbers in their shortest form ("0.10" -> "0.1", "1e3" -> "1000"); anything else unchanged (the API judges it). */
export function normalize(spec: ParamSpec | undefined, value: string): string {
  const v = value.trim();
  if (!isNumeric(spec) || v === '') return v;
  const n = Number(v);
  return Number.isFinite(n) ? String(n) : v;
}

/** The derived defaults in effect for `values` (those of its preset). */
export function plannedFor(values: Values, defaults: Readonly<Record<string, PlannedDefaults>>): PlannedDefaults {
  const d = defaults[values.preset || 'none'] ?? defaults.none;
  if (!d) throw new Error('The defaults of preset "none" are missing.');
  return d;
}

/** The value a regularizer takes when it is not given: the preset's. */
export function regularizerDefault(name: (typeof REGULARIZERS)[number], values: Values, defaults: Readonly<Record<string, PlannedDefaults>>): number {
  return plannedFor(values, defaults)[name];
}

/** The learning rate the API uses when lr is not given: a fraction (set by the preset) of the input range. */
export function defaultLr(range: { min: number; max: number }, values: Values, defaults: Readonly<Record<string, PlannedDefaults>>): number {
  return Number(rangeLr(plannedFor(values, defaults), range).toPrecision(6));
}

const isRegularizer = (name: string): name is (typeof REGULARIZERS)[number] => (REGULARIZERS as readonly string[]).includes(name);

/** Whether `name=value` would change nothing, given the other values. */
export function isDefault(name: string, value: string, values: Values, ctx: QueryContext): boolean {
  const spec = ctx.specs.find((s) => s.name === name);
  // the steps' default depends on prior= (the schema states the pixel-space one)
  if (name === 'steps') return Number(value) === defaultSteps(values.prior);
  if (spec?.default !== undefined) {
    if (isNumeric(spec) ? close(Number(value), Number(spec.default)) : value === String(spec.default)) return true;
  }
  const g = given(values, ctx);
  if (irrelevant(name, g)) return true;
  const n = Number(value);
  switch (name) {
    case 'init':
      return value === startOf({ ...g, init: undefined });
    case 'lr':
      return ctx.range !== undefined && close(n, rangeLr(g.settings, ctx.range));
    case 'min':
      return ctx.range !== undefined && n === ctx.range.min;
    case 'max':
      return ctx.range !== undefined && n === ctx.range.max;
    case 'colormap':
      return value === defaultColormap(values.view);
    default:
      return isRegularizer(name) && Number.isFinite(n) && n === g.settings[name];
  }
}

/**
 * The query for `values`: the endpoint's parameters in documentation order, without empty values and without
 * values that equal the defaults; names the endpoint does not know are kept (at the end) so the API can say so.
 */
export function buildQuery(values: Values, ctx: QueryContext): [string, string][] {
  const out: [string, string][] = [];
  const known = new Set(ctx.specs.map((s) => s.name));
  for (const spec of ctx.specs) {
    const raw = values[spec.name];
    if (!has(raw)) continue;
    const v = normalize(spec, raw);
    if (isDefault(spec.name, v, values, ctx)) continue;
    out.push([spec.name, v]);
  }
  for (const [k, v] of Object.entries(values)) if (!known.has(k) && has(v)) out.push([k, v.trim()]);
  return out;
}

/** A class given as an index or a label (any case) -> the label as the model spells it, or undefined. */
export function resolveLabel(labels: readonly string[], value: string): string | undefined {
  if (/^\d+$/.test(value)) return labels[Number(value)];
  return labels.find((l) => l.toLowerCase() === value.toLowerCase());
}
