/**
 * Results are immutable: the same canonical parameters (model hash included) always give the same bytes. So
 * every result carries a strong ETag derived from its canonical form, is marked cacheable forever, and is kept
 * in a shared cache (the Workers Cache API in production) under its canonical URL.
 */

export interface ResultCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The canonical query string: parameters sorted by name, defaults filled in. */
export function canonicalQuery(entries: [string, string | number][]): string {
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

export async function strongEtag(canonical: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
  const hex = [...new Uint8Array(digest)].slice(0, 16).map((b) => b.toString(16).padStart(2, '0')).join('');
  return `"${hex}"`;
}

/** RFC 9110 If-None-Match: a list of entity tags or "*"; weak tags compare weakly (W/ prefix ignored). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag);
}

/** The Workers Cache API (caches.default); keys become URLs on the worker's own origin. */
export function workersCache(origin = 'https://ascent.cache'): ResultCache {
  const store = () => (globalThis as unknown as { caches?: { default: Cache } }).caches?.default;
  return {
    async match(key) {
      const c = store();
      return c ? (await c.match(`${origin}/${key}`)) ?? undefined : undefined;
    },
    async put(key, response) {
      const c = store();
      if (c) await c.put(`${origin}/${key}`, response);
    },
  };
}

/**
 * An in-memory cache, least recently used first out, holding at most `maxBytes` of bodies. In a Worker it sits
 * in front of the Cache API (tieredCache): a repeated URL is then answered from the isolate's memory, without a
 * cache lookup. In Node hosts it is the only cache.
 */
export function memoryCache(maxBytes = 16 * 1024 * 1024): ResultCache {
  const entries = new Map<string, { body: ArrayBuffer; status: number; headers: [string, string][] }>();
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
    async put(key, response) {
      const body = await response.arrayBuffer();
      if (body.byteLength > maxBytes / 8) return;
      const old = entries.get(key);
      if (old) bytes -= old.body.byteLength;
      entries.delete(key);
      entries.set(key, { body, status: response.status, headers: [...response.headers] });
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
      await near.put(key, found.clone());
      return found;
    },
    async put(key, response) {
      await Promise.all([near.put(key, response.clone()), far.put(key, response)]);
    },
  };
}
