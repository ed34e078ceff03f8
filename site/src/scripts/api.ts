/**
 * Talking to the API from the pages: JSON requests whose failures carry the API's problem details, and the
 * maximize computation read live from /api/v1/maximize/events (with a plain JSON request as the fallback).
 */
import { sseEvents } from './sse.ts';
import type { MaximizeResult, ModelInfo, Problem, Progress } from './types.ts';

/** A failed request: the API's problem details (or a problem made up here for network failures). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }
}

export const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

/** The problem details of a failed response; non-JSON bodies become a problem that quotes the status line. */
export async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.detail === 'string') {
      return { type: body.type ?? 'about:blank', title: body.title ?? res.statusText, status: body.status ?? res.status, ...body, detail: body.detail };
    }
  } catch {
    // not JSON: fall through
  }
  return {
    type: 'about:blank',
    title: res.statusText || 'Request failed',
    status: res.status,
    detail: `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${text ? `: ${text.slice(0, 200)}` : '.'}`,
  };
}

function networkProblem(url: string, e: unknown): ApiError {
  return new ApiError({
    type: 'about:blank',
    title: 'Network error',
    status: 0,
    detail: `The API could not be reached (${url.split('?')[0]}): ${e instanceof Error ? e.message : String(e)}.`,
  });
}

/** GET a JSON document; throws ApiError with the problem details on any failure (AbortError passes through). */
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, ...(signal ? { signal } : {}) });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw networkProblem(url, e);
  }
  if (!res.ok) throw new ApiError(await problemOf(res));
  try {
    return (await res.json()) as T;
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError({ type: 'about:blank', title: 'Unreadable answer', status: res.status, detail: `The answer of ${url.split('?')[0]} is not valid JSON.` });
  }
}

export interface LiveRun {
  result: MaximizeResult;
  /** false when the events stream was not usable and the plain JSON request answered instead */
  live: boolean;
}

/**
 * Runs /api/v1/maximize with `query` (no format parameter), reporting progress events as they arrive. A refused
 * request (4xx/5xx) or an `error` event throws ApiError with the problem; if the stream itself is unusable
 * (network trouble, no streaming support, a stream that ends without a result) the JSON result is fetched instead.
 */
export async function maximizeLive(query: string, onProgress: (p: Progress) => void, signal: AbortSignal): Promise<LiveRun> {
  const fallback = async (): Promise<LiveRun> => ({ result: await getJson<MaximizeResult>(`/api/v1/maximize?${query}${query ? '&' : ''}format=json`, signal), live: false });
  let res: Response;
  try {
    res = await fetch(`/api/v1/maximize/events?${query}`, { headers: { Accept: 'text/event-stream' }, signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    return fallback();
  }
  if (!res.ok) throw new ApiError(await problemOf(res));
  if (!res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return fallback();
  try {
    for await (const ev of sseEvents(res.body)) {
      if (ev.event === 'progress') onProgress(JSON.parse(ev.data) as Progress);
      else if (ev.event === 'result') return { result: JSON.parse(ev.data) as MaximizeResult, live: true };
      else if (ev.event === 'error') throw new ApiError(JSON.parse(ev.data) as Problem);
    }
  } catch (e) {
    if (isAbort(e) || e instanceof ApiError) throw e;
    // a broken stream: ask again without it
  }
  return fallback();
}

/** Any error as problem details, for display. */
export function asProblem(e: unknown): Problem {
  if (e instanceof ApiError) return e.problem;
  return { type: 'about:blank', title: 'Error', status: 0, detail: e instanceof Error ? e.message : String(e) };
}

/**
 * The model list, plus the model `wanted` when it is not listed (uploaded models are reachable by id only). An
 * id the API does not know is left out: the request that uses it then gets the API's unknown-model problem.
 */
export async function loadModels(wanted: string | undefined, known: ModelInfo[] = []): Promise<ModelInfo[]> {
  const models = known.length ? known : (await getJson<{ models: ModelInfo[] }>('/api/v1/models')).models;
  if (wanted && !models.some((m) => m.id === wanted)) {
    try {
      return [...models, await getJson<ModelInfo>(`/api/v1/models/${encodeURIComponent(wanted)}`)];
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
  return models;
}
