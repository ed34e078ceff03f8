/**
 * The Worker isolate's own memory, read through wrangler dev's inspector (Chrome DevTools protocol): the V8 heap
 * after a full collection and the bytes of array buffers (model weights, results, response bodies) it holds, as
 * opposed to the resident memory of the whole workerd process (which also runs wrangler dev's asset server, dev
 * proxy plumbing and Cache API simulation, and keeps what its allocator took).
 */
import WebSocket from 'ws';

export interface IsolateMemory {
  /** V8 heap in use after a full garbage collection, MB */
  heapMb: number;
  /** array buffer backing stores the isolate holds, MB */
  arrayBuffersMb: number;
}

interface Reply {
  id?: number;
  result?: { usedSize?: number; backingStorageSize?: number };
}

/** Connects to the Worker's inspector on `port`; `poke` sends a request to the Worker (a collection only runs when the isolate gets a turn). */
export async function isolateInspector(port: number, poke: () => Promise<unknown>) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 0;
  const pending = new Map<number, (r: Reply) => void>();
  ws.on('message', (m) => {
    const r = JSON.parse(String(m)) as Reply;
    if (r.id !== undefined) pending.get(r.id)?.(r);
    if (r.id !== undefined) pending.delete(r.id);
  });
  const call = (method: string, timeoutMs = 30_000) => new Promise<Reply>((resolve, reject) => {
    const id = ++next;
    const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), timeoutMs);
    pending.set(id, (r) => (clearTimeout(timer), resolve(r)));
    ws.send(JSON.stringify({ id, method, params: {} }));
  });
  await call('HeapProfiler.enable');
  const mb = (bytes = NaN) => bytes / 2 ** 20;
  return {
    async memory(): Promise<IsolateMemory> {
      // the collection waits for the isolate's next turn: send requests until it has run
      let done = false;
      const collected = call('HeapProfiler.collectGarbage').finally(() => (done = true));
      for (let i = 0; i < 40 && !done; i++) await Promise.all([poke(), new Promise((r) => setTimeout(r, 250))]);
      await collected;
      const r = (await call('Runtime.getHeapUsage')).result ?? {};
      return { heapMb: mb(r.usedSize), arrayBuffersMb: mb(r.backingStorageSize) };
    },
    close: () => ws.close(),
  };
}
