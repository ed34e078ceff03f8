/**
 * The programs an isolate keeps (gradient programs, Grad-CAM's layer programs): least recently used out beyond a
 * count and beyond a total of bytes (an isolate has 128 MB for everything), each released when evicted. A value's
 * `release` must be safe while a request still uses it (see `idleRelease`): eviction happens whenever another
 * program is built, also while this one runs.
 */

export interface Kept {
  /** bytes it holds now (weights, a session's copy of them, an engine's memory) */
  bytes(): number;
  release(): Promise<void>;
}

export interface MapLimits {
  count: number;
  bytes: number;
}

export class BoundedMap<V extends Kept> {
  private readonly entries = new Map<string, Promise<V>>();
  private readonly ready = new Map<string, V>();

  constructor(private readonly limits: MapLimits) {}

  /** The value for `key`, built once (a failed build is forgotten); the most recently used is kept longest. */
  get(key: string, build: () => Promise<V>): Promise<V> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = build();
    this.entries.set(key, entry);
    entry.then((v) => {
      if (this.entries.get(key) !== entry) return;
      this.ready.set(key, v);
      this.evict();
    }, () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.evict();
    return entry;
  }

  /** Bytes held by the values built so far. */
  bytes(): number {
    let n = 0;
    for (const v of this.ready.values()) n += v.bytes();
    return n;
  }

  /** Evicts the least recently used beyond the limits (the newest always stays); call after a value may have grown. */
  evict(): void {
    let bytes = this.bytes();
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.limits.count && bytes <= this.limits.bytes)) break;
      const v = this.ready.get(key);
      this.entries.delete(key);
      this.ready.delete(key);
      if (v) {
        bytes -= v.bytes();
        void v.release().catch(() => undefined);
      } else {
        // still being built: released once it is
        entry.then((built) => built.release()).catch(() => undefined);
      }
    }
  }
}

/**
 * A session opened on first use whose release waits for the calls in flight: `release` while a request runs on it
 * closes it when that request is done, and a call after release opens it again for that call alone.
 */
export function idleRelease<R extends { release(): Promise<void> }>(open: () => Promise<R>): {
  use<T>(work: (r: R) => Promise<T>): Promise<T>;
  release(): Promise<void>;
  opened(): boolean;
} {
  let session: Promise<R> | undefined;
  let inUse = 0;
  let released = false;
  const close = async () => {
    const s = session;
    session = undefined;
    if (s) await (await s).release();
  };
  return {
    async use(work) {
      inUse++;
      try {
        return await work(await (session ??= open()));
      } finally {
        inUse--;
        if (released && inUse === 0) await close();
      }
    },
    async release() {
      released = true;
      if (inUse === 0) await close();
    },
    opened: () => session !== undefined,
  };
}
