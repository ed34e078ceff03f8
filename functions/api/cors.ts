/**
 * CORS for every API answer: any origin may read it and the Ascent headers it carries. Preflights (OPTIONS) are
 * Hono's cors middleware. For the rest, Hono's middleware would set the headers on a placeholder response before
 * the route runs, which Hono then copies, with the route's body and headers, into a new Response on every
 * request; here they go on the headers Hono starts its own responses with (c.json, c.body, streams), or, after the
 * route, onto the response it made itself, as Hono's copy writes them (lower case), so the bytes sent are the same.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

/** The response headers a page on another origin may read. */
export const EXPOSED_HEADERS = ['ETag', 'X-Ascent-Cache', 'X-Ascent-Params', 'X-Ascent-Probability', 'X-Ascent-Predicted', 'X-Ascent-Objective', 'X-Ascent-Samples', 'X-Ascent-Warning', 'X-Ascent-Class', 'X-Ascent-Completeness'];

export function anyOrigin(): MiddlewareHandler {
  const preflight = cors({ origin: '*', exposeHeaders: EXPOSED_HEADERS, maxAge: 86400 });
  const exposed = EXPOSED_HEADERS.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Expose-Headers', exposed);
    await next();
    if (c.res.headers.has('access-control-allow-origin')) return;
    try {
      c.res.headers.set('access-control-allow-origin', '*');
    } catch {
      // headers of a response the runtime made (immutable): a copy of it takes them
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('access-control-allow-origin', '*');
    }
    c.res.headers.set('access-control-expose-headers', exposed);
  };
}
