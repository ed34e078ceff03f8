/** The BlobStore of Workers: an R2 bucket (binding MODELS in wrangler.toml). */
import type { BlobStore } from '../../registry/store.js';

export function r2Store(bucket: R2Bucket): BlobStore {
  return {
    async get(key) {
      const o = await bucket.get(key);
      return o ? new Uint8Array(await o.arrayBuffer()) : undefined;
    },
    async put(key, bytes) {
      await bucket.put(key, bytes);
    },
    async delete(keys) {
      if (keys.length) await bucket.delete(keys);
    },
    async list(prefix) {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
        keys.push(...page.objects.map((o) => o.key));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
  };
}
