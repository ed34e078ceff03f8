/**
 * The query parser under hostile query strings: every parameter set either parses into values within the
 * declared bounds (finite numbers, known enum values) or is a 400 problem naming a parameter. Never another
 * exception, never a NaN or an infinity passed on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maximizeQuery } from '../../../functions/api/params/maximize.js';
import { predictQuery } from '../../../functions/api/params/predict.js';
import { uploadQuery } from '../../../functions/api/params/upload.js';
import { parseByField, parseQuery, type QuerySchema } from '../../../functions/api/params/query.js';
import { ApiProblem } from '../../../functions/api/problem.js';

const VALUES = fc.oneof(
  fc.constantFrom('0', '1', '-1', '7', '0.5', '1e308', '-1e308', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '1e-400', ' 5', '5 ',
    '', ' ', 'Sneaker', 'fashion-mlp', 'png', 'json', 'all', 'natural', 'l2', 'viridis', '4096', '4097', '65', '2e9', '4294967296',
    '%', '\u0000', '\u00a0', '😀', 'a'.repeat(20_000), '1,2,3,4', 'AAAA', '=='),
  fc.double().map(String),
  fc.integer().map(String),
  fc.string({ maxLength: 40 }),
);

/** name=value pairs over a schema's names, a few unknown ones, and repeats. */
function arbQuery(schema: QuerySchema): fc.Arbitrary<string> {
  const names = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...Object.keys(schema.shape)) }, { weight: 1, arbitrary: fc.constantFrom('clas', 'MODEL', '', 'x[]', '__proto__', 'constructor') });
  return fc.array(fc.tuple(names, VALUES), { maxLength: 8 })
    .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
}

function check(schema: QuerySchema, query: string): void {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseQuery(new URL(`http://ascent.test/api/v1/x?${query}`), schema) as Record<string, unknown>;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiProblem);
    const p = (e as ApiProblem).body();
    expect(p.status).toBe(400);
    expect(p.detail.length).toBeGreaterThan(10);
    return;
  }
  for (const [k, v] of Object.entries(parsed)) {
    expect(Object.keys(schema.shape)).toContain(k);
    if (typeof v === 'number') expect(Number.isFinite(v), `${k}=${v}`).toBe(true);
  }
}

describe('the query parser', () => {
  for (const [name, schema] of [['maximize', maximizeQuery], ['predict', predictQuery], ['upload', uploadQuery]] as const) {
    it(`parses or refuses with a 400 every ${name} query`, () => {
      fc.assert(fc.property(arbQuery(schema as unknown as QuerySchema), (q) => check(schema as unknown as QuerySchema, q)), { seed: 14, numRuns: 600 });
    });
  }

  it('parses field by field to exactly what zod parses the whole object to', () => {
    for (const schema of [maximizeQuery, predictQuery, uploadQuery] as unknown as QuerySchema[]) {
      const known = Object.keys(schema.shape);
      const raw = fc.array(fc.tuple(fc.constantFrom(...known), VALUES), { maxLength: 8 }).map((pairs) => Object.fromEntries(pairs));
      // twice: the second time from the kept field values
      for (const round of [1, 2]) {
        fc.assert(fc.property(raw, (r) => {
          const whole = schema.safeParse(r);
          const quick = parseByField(schema, known, r);
          if (!whole.success) expect(quick, `round ${round}`).toBeUndefined();
          else if (quick) {
            expect(quick).toStrictEqual(whole.data);
            expect(Object.keys(quick)).toEqual(Object.keys(whole.data as object));
          }
          else expect(whole.success, 'a valid query fell back to zod').toBe(false);
        }), { seed: 16, numRuns: 400 });
      }
    }
  });

  it('refuses non-finite numbers by name', () => {
    for (const v of ['NaN', 'Infinity', '1e400']) {
      expect(() => parseQuery(new URL(`http://a/?model=m&class=1&lr=${v}`), maximizeQuery)).toThrow(/Parameter "lr" must be a finite number/);
    }
  });
});
