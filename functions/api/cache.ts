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

/** An in-memory cache (Node hosts, tests of the app outside workerd). */
export function memoryCache(limit = 256): ResultCache {
  const entries = new Map<string, { body: ArrayBuffer; status: number; headers: [string, string][] }>();
  return {
    async match(key) {
      const e = entries.get(key);
      return e ? new Response(e.body, { status: e.status, headers: e.headers }) : undefined;
    },
    async put(key, response) {
      entries.set(key, { body: await response.arrayBuffer(), status: response.status, headers: [...response.headers] });
      while (entries.size > limit) entries.delete(entries.keys().next().value as string);
    },
  };
}
