/** The Workers Cache API (caches.default) as a ResultCache; keys become URLs on the worker's own origin. */
import { storedResponse, type ResultCache } from '../../api/cache.js';

export function workersCache(origin = 'https://ascent.cache'): ResultCache {
  const store = () => (globalThis as unknown as { caches?: { default: Cache } }).caches?.default;
  return {
    async match(key) {
      const c = store();
      return c ? (await c.match(`${origin}/${key}`)) ?? undefined : undefined;
    },
    async put(key, entry) {
      const c = store();
      if (c) await c.put(`${origin}/${key}`, storedResponse(entry));
    },
  };
}
