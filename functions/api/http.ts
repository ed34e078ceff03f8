/**
 * What the routes share about HTTP: the model a request names, the media type and size of a request body, bearer
 * tokens, each failure a problem+json response (Hono's bodyLimit and bearerAuth do the work); and the answer an
 * immutable result already has (304 or the cache).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { bodyLimit } from 'hono/body-limit';
import type { ModelRecord } from '../registry/types.js';
import type { AppEnv } from './app-env.js';
import { matchesEtag } from './cache.js';
import { ApiProblem, PROBLEM, echo, problemResponse } from './problem.js';

/** The model named `id` (by the query parameter or path segment `parameter`), or a 404 problem listing the known ones. */
export async function requireModel(c: Context<AppEnv>, id: string, parameter = 'model'): Promise<ModelRecord> {
  const record = await c.var.app.registry.get(id);
  if (!record) {
    const known = (await c.var.app.registry.list()).map((m) => m.id);
    throw new ApiProblem(404, PROBLEM.unknownModel, `There is no model "${id}". Known models: ${known.join(', ')}.`, { parameter, allowed: known });
  }
  return record;
}

/** The request's media type, lowercase, without parameters ('' when absent). */
export const mediaType = (c: Context): string => (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * The request body, refused past `maxSize` bytes with the problem `tooLarge` makes (given the declared length
 * when the request declares one): Hono's bodyLimit, called where the route reaches the body, so the checks
 * before it (model, media type) still answer first.
 */
export async function readBody(c: Context, maxSize: number, tooLarge: (declared: number | undefined) => ApiProblem): Promise<Uint8Array<ArrayBuffer>> {
  let body = new Uint8Array(new ArrayBuffer(0));
  const declared = () => (c.req.header('content-length') !== undefined ? Number(c.req.header('content-length')) : undefined);
  const limit = bodyLimit({ maxSize, onError: () => { throw tooLarge(declared()); } });
  await limit(c, async () => {
    body = new Uint8Array(await c.req.arrayBuffer());
  });
  return body;
}

/**
 * Requires `Authorization: Bearer <token>` with a token `verify` accepts; anything else is a 401 problem saying
 * `detail` (and the WWW-Authenticate challenge of RFC 6750).
 */
export function requireBearer<E extends AppEnv>(verify: (token: string, c: Context<E>) => boolean | Promise<boolean>, detail: string): MiddlewareHandler<E> {
  const refusal = () => problemResponse(new ApiProblem(401, PROBLEM.unauthorized, detail));
  return bearerAuth({
    verifyToken: verify,
    noAuthenticationHeader: { message: refusal },
    invalidAuthenticationHeader: { message: refusal },
    invalidToken: { message: refusal },
  }) as MiddlewareHandler<E>;
}

/** A POSTed PNG image (Content-Type image/png or application/octet-stream, at most `maxSize` bytes, not empty). */
export async function readPngBody(c: Context, maxSize: number): Promise<Uint8Array<ArrayBuffer>> {
  const type = mediaType(c);
  if (type !== 'image/png' && type !== 'application/octet-stream') {
    throw new ApiProblem(415, PROBLEM.unsupportedMediaType, `POST a PNG image with Content-Type: image/png (got ${echo(type || 'none')}).`);
  }
  const body = await readBody(c, maxSize, (declared) => new ApiProblem(413, PROBLEM.tooLarge, declared !== undefined
    ? `The body is ${declared} bytes; at most ${maxSize} are accepted.`
    : `The body is larger than ${maxSize} bytes, the most accepted.`));
  if (body.length === 0) throw new ApiProblem(400, PROBLEM.badImage, 'The request body is empty; POST a PNG image.');
  return body;
}

/**
 * Request bodies are read to their end (or cancelled) before the answer goes out, refusals included (413, 415,
 * 401, 404, ...): a body left half-read keeps the client sending into a connection nobody reads, and the next
 * request on that connection waits behind it. What a route does not read is discarded as it arrives, never held,
 * up to DRAIN_BYTES; a longer remainder is cancelled.
 */
export const DRAIN_BYTES = 64 * 1024 * 1024;

/** Middleware: the route reads the body through a pass-through; whatever it leaves is drained afterwards. */
export const settleBody: MiddlewareHandler = async (c, next) => {
  const body = c.req.raw.body;
  if (!body) return next();
  const reader = body.getReader();
  // one read at a time (workerd's streams allow a single pending read): the route's and the drain's in turn
  let previous: Promise<unknown> = Promise.resolve();
  const read = (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    const next = previous.then(() => reader.read());
    previous = next.catch(() => undefined);
    return next;
  };
  const passThrough = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  c.req.raw = new Request(c.req.raw, { body: passThrough, duplex: 'half' } as RequestInit);
  try {
    await next();
  } finally {
    await drain(read, () => reader.cancel('refused'));
  }
};

async function drain(read: () => Promise<ReadableStreamReadResult<Uint8Array>>, cancel: () => Promise<void>): Promise<void> {
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await read();
      if (done) return;
      seen += value.byteLength;
      if (seen > DRAIN_BYTES) {
        await cancel();
        return;
      }
    }
  } catch {
    // the body was cancelled or the client went away: nothing more to read
  }
}

/**
 * An immutable result already held: 304 when If-None-Match names its ETag, else the response cached under `key`
 * marked `X-Ascent-Cache: hit`; undefined when it must be computed.
 */
export async function heldResult(c: Context<AppEnv>, key: string, headers: Record<string, string>): Promise<Response | undefined> {
  if (matchesEtag(c.req.header('if-none-match'), headers.ETag!)) return c.body(null, 304, headers);
  const cached = await c.var.app.cache.match(key);
  if (!cached) return undefined;
  const hit = new Response(cached.body, cached);
  hit.headers.set('X-Ascent-Cache', 'hit');
  return hit;
}
