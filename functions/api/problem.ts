/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Every failure a client can cause is thrown
 * as an `ApiProblem` somewhere below the routes and turned into a response here, so no bad input becomes a 500.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** the query parameter or body field at fault */
  parameter?: string;
  /** what would have been accepted */
  allowed?: unknown;
  [extra: string]: unknown;
}

/** Problem types: stable URIs (relative to the API docs) a client can switch on. */
export const PROBLEM = {
  badParameter: 'invalid-parameter',
  unknownParameter: 'unknown-parameter',
  notFound: 'not-found',
  unknownModel: 'unknown-model',
  overBudget: 'over-budget',
  badImage: 'invalid-image',
  badModel: 'invalid-model',
  unsupportedModel: 'unsupported-model',
  tooLarge: 'payload-too-large',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  unsupportedMediaType: 'unsupported-media-type',
  methodNotAllowed: 'method-not-allowed',
  nonFinite: 'non-finite-result',
  tooManyRequests: 'too-many-requests',
  internal: 'internal-error',
} as const;

export type ProblemType = (typeof PROBLEM)[keyof typeof PROBLEM];

const TITLES: Record<ProblemType, string> = {
  'invalid-parameter': 'Invalid parameter',
  'unknown-parameter': 'Unknown parameter',
  'not-found': 'Not found',
  'unknown-model': 'Unknown model',
  'over-budget': 'Request over the budget',
  'invalid-image': 'Invalid image',
  'invalid-model': 'Invalid ONNX model',
  'unsupported-model': 'Unsupported model',
  'payload-too-large': 'Payload too large',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'unsupported-media-type': 'Unsupported media type',
  'method-not-allowed': 'Method not allowed',
  'non-finite-result': 'Non-finite result',
  'too-many-requests': 'Too many requests',
  'internal-error': 'Internal error',
};

/**
 * A client's value quoted for a message, cut to `max` characters: a problem names what was wrong without sending a
 * 16 KB parameter back.
 */
export function echo(value: unknown, max = 40): string {
  const s = String(value);
  return s.length > max ? `${JSON.stringify(`${s.slice(0, max)}...`)} (${s.length} characters)` : JSON.stringify(s);
}

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: ProblemType,
    detail: string,
    readonly extra: Partial<ProblemBody> = {},
    /** response headers that go with the problem (Retry-After for 429) */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  body(): ProblemBody {
    return { type: `/docs/errors#${this.type}`, title: TITLES[this.type], status: this.status, detail: this.message, ...this.extra };
  }
}

export function problemResponse(p: ApiProblem, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(p.body()), {
    status: p.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...p.headers, ...headers },
  });
}

/**
 * Hono error handler: ApiProblem as given, the response a Hono middleware made for its refusal (made with
 * problemResponse, see http.ts), anything else as a 500 problem that does not leak internals.
 */
export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiProblem) return problemResponse(err);
  if (err instanceof HTTPException) return err.getResponse();
  console.error('unhandled error', c.req.method, c.req.url, err);
  return problemResponse(new ApiProblem(500, PROBLEM.internal, 'The server failed to answer this request. It has been logged.'));
}
