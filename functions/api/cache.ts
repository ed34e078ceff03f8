/**
 * Results are immutable: the same canonical parameters (model hash included) always give the same bytes. So
 * every result carries a strong ETag derived from its canonical form, is marked cacheable forever, and is kept
 * in a shared cache under its canonical URL: the isolate's memory, then the host's own cache (in Workers the
 * Cache API, hosts/workerd/cache.ts).
 */
import { sha256Hex } from './hash.js';

const utf8 = new TextEncoder();

/**
 * An encoded result as a cache stores it: its bytes (or text), status and headers. Each tier makes its own
 * Response from it, so storing a result costs no tee or read of a body stream.
 */
export interface StoredBody {
  body: Uint8Array<ArrayBuffer> | string;
  headers: Record<string, string>;
  status?: number;
}

export interface ResultCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, entry: StoredBody): Promise<void>;
}

/** A new Response of a stored body (one is cached, another sent). */
export const storedResponse = (e: StoredBody): Response => new Response(e.body, { status: e.status ?? 200, headers: e.headers });

/** The body, status and headers of a response (read once: the response is used up). */
export async function storedBody(response: Response): Promise<StoredBody> {
  return { body: new Uint8Array(await response.arrayBuffer()), status: response.status, headers: Object.fromEntries(response.headers) };
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The headers of an immutable result: its strong ETag, cacheable forever, and the canonical parameters it answers. */
export function immutableHeaders(etag: string, canonical: string): Record<string, string> {
  return { ETag: etag, 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': canonical };
}

/** ETags of the last canonical queries seen (a request names its result's ETag before and after computing it). */
const etags = new Map<string, string>();

/** A strong ETag for a canonical query: the first 128 bits of its SHA-256. */
export async function strongEtag(canonical: string): Promise<string> {
  let etag = etags.get(canonical);
  if (etag === undefined) {
    etag = `"${(await sha256Hex(canonical)).slice(0, 32)}"`;
    if (etags.size >= 64) etags.clear();
    etags.set(canonical, etag);
  }
  return etag;
}

/** RFC 9110 If-None-Match: a list of entity tags or "*"; weak tags compare weakly (W/ prefix ignored). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag);
}

/**
 * An in-memory cache, least recently used first out, holding at most `maxBytes` of bodies. In a Worker it sits
 * in front of the Cache API (tieredCache): a repeated URL is then answered from the isolate's memory, without a
 * cache lookup. In Node hosts it is the only cache.
 */
export function memoryCache(maxBytes = 16 * 1024 * 1024): ResultCache {
  const entries = new Map<string, { body: Uint8Array<ArrayBuffer>; status: number; headers: Record<string, string> }>();
  let bytes = 0;
  return {
    async match(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      entries.set(key, e);
      // a copy: a runtime may take over the buffer given to a Response
      return new Response(e.body.slice(0), { status: e.status, headers: e.headers });
    },
    async put(key, entry) {
      const body = typeof entry.body === 'string' ? (utf8.encode(entry.body) as Uint8Array<ArrayBuffer>) : entry.body;
      if (body.byteLength > maxBytes / 8) return;
      const old = entries.get(key);
      if (old) bytes -= old.body.byteLength;
      entries.delete(key);
      entries.set(key, { body, status: entry.status ?? 200, headers: entry.headers });
      bytes += body.byteLength;
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(k);
        bytes -= e.body.byteLength;
      }
    },
  };
}

/** Looks in `near` first, then in `far` (copying a far hit near); stores in both. */
export function tieredCache(near: ResultCache, far: ResultCache): ResultCache {
  return {
    async match(key) {
      const hit = await near.match(key);
      if (hit) return hit;
      const found = await far.match(key);
      if (!found) return undefined;
      const entry = await storedBody(found);
      await near.put(key, entry);
      return storedResponse(entry);
    },
    async put(key, entry) {
      await Promise.all([near.put(key, entry), far.put(key, entry)]);
    },
  };
}
