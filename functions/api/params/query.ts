/**
 * Query-string validation. Each endpoint declares its parameters as one zod object (the same object generates
 * the OpenAPI document). Parsing is strict: an unknown name (a typo must not silently fall back to a default),
 * a repeated or empty parameter, or a value out of range is a 400 problem naming the parameter and what it allows.
 */
import * as z from 'zod';
import { ApiProblem, PROBLEM, echo } from '../problem.js';
import { didYouMean } from './suggest.js';

export type QuerySchema = z.ZodObject<Record<string, z.ZodType>>;

/** What a parameter accepts, as JSON Schema (enum values, bounds, default). */
export function allowedFor(schema: QuerySchema, name: string): Record<string, unknown> {
  const field = schema.shape[name];
  if (!field) return {};
  const js = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['type', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'pattern', 'maxLength', 'default']) {
    if (js[k] !== undefined) out[k] = js[k];
  }
  return out;
}

function describeValue(issue: z.core.$ZodIssue, allowed: Record<string, unknown>): string {
  if (allowed.enum) return `must be one of ${(allowed.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  const bounds: string[] = [];
  if (allowed.minimum !== undefined) bounds.push(`>= ${allowed.minimum}`);
  if (allowed.exclusiveMinimum !== undefined) bounds.push(`> ${allowed.exclusiveMinimum}`);
  if (allowed.maximum !== undefined) bounds.push(`<= ${allowed.maximum}`);
  const kind = allowed.type === 'integer' ? 'an integer' : allowed.type === 'number' ? 'a finite number' : 'valid';
  if (bounds.length) return `must be ${kind} ${bounds.join(' and ')}`;
  if (issue.code === 'too_big' && allowed.maxLength !== undefined) return `must be at most ${allowed.maxLength} characters long`;
  if (issue.code === 'invalid_format') return `must be ${issue.message}`;
  return `must be ${kind}`;
}

/**
 * A schema's names and, when it has no checks of its own across fields (refine), what lets a query be parsed one
 * field at a time: then the object's output is each given field's output, and each absent field's default.
 */
interface Fields {
  known: string[];
  names: Set<string>;
  byField: boolean;
}
const fieldsOf = new WeakMap<QuerySchema, Fields>();

function fields(schema: QuerySchema): Fields {
  let f = fieldsOf.get(schema);
  if (!f) {
    const known = Object.keys(schema.shape);
    f = { known, names: new Set(known), byField: !schema._zod.def.checks?.length };
    fieldsOf.set(schema, f);
  }
  return f;
}

/**
 * Outputs of one field's schema by raw value (undefined: the field left out), kept when they are plain values:
 * parsing is pure, and most requests repeat most of their parameters (model, class, format...).
 */
const parsed = new WeakMap<z.ZodType, Map<string | undefined, { value: unknown } | null>>();
const MEMO_VALUES = 256;
const MEMO_LENGTH = 64;

function fieldValue(field: z.ZodType, raw: string | undefined): { value: unknown } | null {
  let memo = parsed.get(field);
  const hit = memo?.get(raw);
  if (hit !== undefined) return hit;
  const r = field.safeParse(raw);
  const out = r.success ? { value: r.data } : null;
  if (raw === undefined || raw.length <= MEMO_LENGTH) {
    if (out && out.value !== null && typeof out.value === 'object') return out;
    if (!memo) parsed.set(field, (memo = new Map()));
    if (memo.size >= MEMO_VALUES) memo.clear();
    memo.set(raw, out);
  }
  return out;
}

/** The object `schema.safeParse(raw)` gives, field by field; undefined when a field fails (zod then says why). */
export function parseByField(schema: QuerySchema, known: string[], raw: Record<string, string>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const name of known) {
    const given = raw[name];
    const r = fieldValue(schema.shape[name]!, given);
    if (!r) return undefined;
    // as zod's objects: a left-out field is in the output only with a value (a default)
    if (given !== undefined || r.value !== undefined) out[name] = r.value;
  }
  return out;
}

/** Parses and validates a URL's query string against `schema`; throws a 400 ApiProblem on any problem. */
export function parseQuery<S extends QuerySchema>(url: URL, schema: S): z.output<S> {
  const { known, names, byField } = fields(schema);
  const raw: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!names.has(name)) {
      throw new ApiProblem(400, PROBLEM.unknownParameter,
        `Unknown parameter "${name}".${didYouMean(name, known)} Accepted: ${known.join(', ')}.`,
        { parameter: name, allowed: known });
    }
    if (name in raw) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${name}" is given more than once.`, { parameter: name });
    if (value.trim() === '') {
      throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "${name}" is empty; give a value or leave it out.`, { parameter: name, allowed: allowedFor(schema, name) });
    }
    raw[name] = value;
  }
  const quick = byField ? parseByField(schema, known, raw) : undefined;
  if (quick) return quick as z.output<S>;
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? '');
    const allowed = allowedFor(schema, name);
    const given = raw[name];
    throw new ApiProblem(400, PROBLEM.badParameter,
      given === undefined ? `Parameter "${name}" is required.` : `Parameter "${name}" ${describeValue(issue, allowed)} (got ${echo(given)}).`,
      { parameter: name, allowed });
  }
  return result.data;
}

/** Field helpers: numbers parsed from strings, with bounds that show up in the OpenAPI document. */
/** The text of base64url values (images and masks in URLs), as validation messages say it. */
export const BASE64URL = 'base64url text: the letters A-Z and a-z, digits, "-" and "_" (RFC 4648, section 5)';

export const q = {
  int: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
  number: (min: number, max: number) => z.coerce.number().min(min).max(max),
  positive: (max: number) => z.coerce.number().positive().max(max),
};
