/**
 * Query-string validation. Each endpoint declares its parameters as one zod object (the same object generates
 * the OpenAPI document). Parsing is strict: an unknown name (a typo must not silently fall back to a default),
 * a repeated or empty parameter, or a value out of range is a 400 problem naming the parameter and what it allows.
 */
import { z } from 'zod';
import { ApiProblem, PROBLEM } from '../problem.js';

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

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function describeValue(issue: z.core.$ZodIssue, allowed: Record<string, unknown>): string {
  if (allowed.enum) return `must be one of ${(allowed.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  const bounds: string[] = [];
  if (allowed.minimum !== undefined) bounds.push(`>= ${allowed.minimum}`);
  if (allowed.exclusiveMinimum !== undefined) bounds.push(`> ${allowed.exclusiveMinimum}`);
  if (allowed.maximum !== undefined) bounds.push(`<= ${allowed.maximum}`);
  const kind = allowed.type === 'integer' ? 'an integer' : allowed.type === 'number' ? 'a finite number' : 'valid';
  if (bounds.length) return `must be ${kind} ${bounds.join(' and ')}`;
  return issue.message.toLowerCase().startsWith('invalid') ? `must be ${kind}` : issue.message;
}

/** Parses and validates a URL's query string against `schema`; throws a 400 ApiProblem on any problem. */
export function parseQuery<S extends QuerySchema>(url: URL, schema: S): z.output<S> {
  const known = Object.keys(schema.shape);
  const raw: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!known.includes(name)) {
      const near = known.filter((k) => distance(k, name.toLowerCase()) <= 2).sort((a, b) => distance(a, name) - distance(b, name));
      throw new ApiProblem(400, PROBLEM.unknownParameter,
        `Unknown parameter "${name}".${near.length ? ` Did you mean "${near[0]}"?` : ''} Accepted: ${known.join(', ')}.`,
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
      given === undefined ? `Parameter "${name}" is required.` : `Parameter "${name}" ${describeValue(issue, allowed)} (got ${JSON.stringify(given)}).`,
      { parameter: name, allowed });
  }
  return result.data;
}

/** Field helpers: numbers parsed from strings, with bounds that show up in the OpenAPI document. */
export const q = {
  int: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
  number: (min: number, max: number) => z.coerce.number().min(min).max(max),
  positive: (max: number) => z.coerce.number().positive().max(max),
};
