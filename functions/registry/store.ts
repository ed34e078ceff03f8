/**
 * Where uploaded models and compiled programs live: a key-value store of byte blobs. In Workers it is an R2
 * bucket (hosts/workerd/r2.ts; `wrangler dev` keeps it on local disk, so uploads survive a restart); Node hosts
 * and tests of the core use the in-memory one below.
 */

export interface BlobStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(keys: string[]): Promise<void>;
  list(prefix: string): Promise<string[]>;
}

export function memoryStore(): BlobStore {
  const blobs = new Map<string, Uint8Array>();
  return {
    async get(key) {
      const b = blobs.get(key);
      return b ? b.slice() : undefined;
    },
    async put(key, bytes) {
      blobs.set(key, bytes.slice());
    },
    async delete(keys) {
      for (const k of keys) blobs.delete(k);
    },
    async list(prefix) {
      return [...blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}

export const utf8 = {
  encode: (s: string) => new TextEncoder().encode(s),
  decode: (b: Uint8Array) => new TextDecoder().decode(b),
};
