/** Requests against the Worker as deployed (SELF is the worker from wrangler.toml, running in workerd). */
import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import type { ProblemBody } from '../../functions/api/problem.js';

export const BASE = 'http://ascent.test';

export async function get(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, init);
}

export async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  const r = await get(path);
  const body = await r.text();
  expect(r.status, `${path} -> ${r.status} ${body.slice(0, 400)}`).toBe(200);
  return JSON.parse(body) as T;
}

export type Problem = ProblemBody;

/** Asserts a problem+json response and returns its body. */
export async function expectProblem(r: Response, status: number): Promise<Problem> {
  const text = await r.text();
  expect(r.status, text).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  const p = JSON.parse(text) as Problem;
  expect(p.status).toBe(status);
  expect(p.detail.length).toBeGreaterThan(10);
  return p;
}

export interface MaximizeJson {
  model: string;
  class: number | null;
  label: string | null;
  probability: number | null;
  probabilities: number[];
  objective: number;
  steps: number;
  predicted: { class: number; label: string };
  image: { shape: number[]; min: number; max: number; data: number[]; levels: number[] };
  trace: { objective: number[]; probability: number[] | null };
  params: Record<string, string | number>;
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
