/**
 * The isolate's program maps: least recently used out beyond a count or a total of bytes, each released when
 * evicted; a session released while a request uses it closes when that request is done.
 */
import { describe, expect, it } from 'vitest';
import { BoundedMap, idleRelease } from '../../../functions/api/bounded-map.js';

class Value {
  released = 0;
  constructor(readonly name: string, public size: number) {}
  bytes() {
    return this.size;
  }
  async release() {
    this.released++;
  }
}

describe('BoundedMap', () => {
  it('keeps the most recently used within the count and the bytes, releasing what it evicts', async () => {
    const map = new BoundedMap<Value>({ count: 3, bytes: 100 });
    const made: Value[] = [];
    const get = (name: string, size = 10) => map.get(name, async () => {
      const v = new Value(name, size);
      made.push(v);
      return v;
    });
    for (const name of ['a', 'b', 'c']) await get(name);
    await get('a'); // a is now the most recent
    await get('d');
    await Promise.resolve();
    expect(made.filter((v) => v.released).map((v) => v.name)).toEqual(['b']);
    expect(await get('a')).toBe(made[0]); // still kept, not rebuilt
    // a value of 95 bytes pushes out the older ones until the total fits
    await get('e', 95);
    await Promise.resolve();
    expect(made.filter((v) => v.released).map((v) => v.name).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(map.bytes()).toBe(95);
    // a value larger than the whole limit stays alone (the newest is never evicted)
    await get('f', 500);
    await Promise.resolve();
    expect(map.bytes()).toBe(500);
  });

  it('evicts what grew beyond the bytes when asked', async () => {
    const map = new BoundedMap<Value>({ count: 10, bytes: 100 });
    const a = await map.get('a', async () => new Value('a', 10));
    await map.get('b', async () => new Value('b', 10));
    a.size = 95;
    map.evict();
    await Promise.resolve();
    expect(a.released).toBe(1);
  });

  it('forgets a failed build, so the next request builds again', async () => {
    const map = new BoundedMap<Value>({ count: 2, bytes: 100 });
    await expect(map.get('a', async () => { throw new Error('no'); })).rejects.toThrow('no');
    await Promise.resolve();
    expect((await map.get('a', async () => new Value('a', 1))).name).toBe('a');
  });
});

describe('idleRelease', () => {
  it('closes a session released during a call when the call ends, and reopens it for a later call alone', async () => {
    let opened = 0;
    let closed = 0;
    const s = idleRelease(async () => {
      opened++;
      return { release: async () => { closed++; } };
    });
    let finish!: () => void;
    const running = s.use(() => new Promise<void>((resolve) => { finish = resolve; }));
    await Promise.resolve();
    await Promise.resolve();
    await s.release();
    expect(closed).toBe(0); // in use
    finish();
    await running;
    expect([opened, closed]).toEqual([1, 1]);
    await s.use(async () => undefined);
    expect([opened, closed]).toEqual([2, 2]);
    expect(s.opened()).toBe(false);
  });
});
