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

/** Parses and validates a URL's query string against `schema`; throws a 400 ApiProblem on any problem. */
export function parseQuery<S extends QuerySchema>(url: URL, schema: S): z.output<S> {
  const known = Object.keys(schema.shape);
  const raw: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!known.includes(name)) {
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
