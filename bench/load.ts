/**
 * `npm run load`: bounded load on loopback against `wrangler dev` (the real workerd runtime), with autocannon.
 *   1. unique URLs (every request a new seed, so every one computes): fashion-mlp and fashion-cnn, concurrency 8;
 *   2. cached URLs (32 results computed first, then served again and again): concurrency 16;
 *   3. 20 distinct requests at once, then the same 20 one at a time on a fresh server (empty caches): the bytes
 *      must be identical.
 *   4. on that second server, the same two phases of a static file (answered by wrangler dev's asset server in the
 *      same workerd process, never running the Worker): how much the process grows on its own.
 * Reported: requests, throughput, latency percentiles, errors and non-2xx answers per phase, the resident memory
 * of the Worker's workerd process before, after each phase and after 10 s idle, and the Worker isolate's own
 * memory (V8 heap after a full collection, array buffers) through the inspector.
 *
 *   npm run load [-- --unique 60 --cached 30]     phase lengths in seconds (defaults: 60 and 30)
 *   npm run load -- --var CACHE_API:off          a Worker variable for wrangler dev (repeatable)
 *   npm run load -- --hostile                    instead: the hostile catalogue one request at a time (hostile-load.ts)
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { hostileLoad } from './hostile-load.js';
import { isolateInspector, type IsolateMemory } from './inspector.js';
import { removeState, startWrangler, stateFolder, type WranglerDev } from './wrangler.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const UNIQUE_S = arg('unique', 60);
const VARS = args.flatMap((a, i) => (a === '--var' ? ['--var', args[i + 1]!] : []));
const CACHED_S = arg('cached', 30);
const MODELS = ['fashion-mlp', 'fashion-cnn'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MB (VmRSS), or NaN when it is gone. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Phase {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  rssAfter: number;
}

async function run(dev: WranglerDev, name: string, connections: number, seconds: number, path: () => string): Promise<Phase> {
  const url = new URL(dev.base);
  const r = await autocannon({
    url: dev.base,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [{ setupRequest: (req) => ({ ...req, path: path(), headers: { host: url.host } }) }],
  });
  return {
    name, connections, seconds,
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max,
    errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx,
    rssAfter: rssMb(dev.worker.pid),
  };
}

async function body(base: string, path: string): Promise<Uint8Array> {
  const r = await fetch(`${base}${path}`);
  if (!r.ok) throw new Error(`${path} -> ${r.status} ${await r.text()}`);
  return new Uint8Array(await r.arrayBuffer());
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

async function main(): Promise<void> {
  const state = stateFolder();
  let dev = await startWrangler(state, undefined, VARS);
  // the workerd process's memory every 5 s, to see where it grows
  const timeline: number[] = [];
  const sampler = setInterval(() => timeline.push(Math.round(rssMb(dev.worker.pid))), 5000);
  const phases: Phase[] = [];
  let identical = 0;
  let rss: { start: number; warm: number; idle: number };
  let isolate: { warm: IsolateMemory; idle: IsolateMemory };
  let control: { before: number; phases: Phase[]; idle: number };
  try {
    const start = rssMb(dev.worker.pid);
    for (const m of MODELS) await body(dev.base, `/api/v1/maximize?model=${m}&class=0&seed=1`);
    const inspector = await isolateInspector(dev.inspector, () => body(dev.base, '/api/v1/models'));
    const isolateWarm = await inspector.memory();
    const warm = rssMb(dev.worker.pid);

    let n = 0;
    phases.push(await run(dev, 'unique URLs', 8, UNIQUE_S, () => {
      n++;
      return `/api/v1/maximize?model=${MODELS[n % 2]}&class=${n % 10}&seed=${1000 + n}`;
    }));

    const cached = Array.from({ length: 32 }, (_, i) => `/api/v1/maximize?model=${MODELS[i % 2]}&class=${i % 10}&seed=${i + 2}`);
    for (const u of cached) await body(dev.base, u);
    let k = 0;
    phases.push(await run(dev, 'cached URLs', 16, CACHED_S, () => cached[k++ % cached.length]!));

    await sleep(10_000);
    rss = { start, warm, idle: rssMb(dev.worker.pid) };
    isolate = { warm: isolateWarm, idle: await inspector.memory() };
    inspector.close();
    clearInterval(sampler);

    // 20 distinct requests at once, then one at a time on a fresh server
    const distinct = Array.from({ length: 20 }, (_, i) => `/api/v1/maximize?model=${MODELS[i % 2]}&class=${i % 10}&seed=${90_000 + i}&steps=60`);
    const together = await Promise.all(distinct.map((u) => body(dev.base, u)));
    await dev.stop();
    removeState(state);
    const fresh = stateFolder();
    dev = await startWrangler(fresh, undefined, VARS);
    for (const [i, u] of distinct.entries()) if (same(await body(dev.base, u), together[i]!)) identical++;

    // the same load shape on a static file: the workerd process's growth without the Worker running
    const before = rssMb(dev.worker.pid);
    const asset = () => '/favicon.svg';
    const phasesOff = [await run(dev, 'static file', 8, UNIQUE_S, asset), await run(dev, 'static file', 16, CACHED_S, asset)];
    await sleep(10_000);
    control = { before, phases: phasesOff, idle: rssMb(dev.worker.pid) };
    await dev.stop();
    removeState(fresh);
  } catch (e) {
    clearInterval(sampler);
    await dev.stop();
    throw e;
  }

  const f = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log('\n| phase | connections | seconds | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | timeouts | non-2xx | workerd RSS after, MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of [...phases, ...control.phases]) {
    console.log(`| ${p.name} | ${p.connections} | ${p.seconds} | ${f(p.requests)} | ${f(p.rps, 1)} | ${f(p.p50)} | ${f(p.p90)} | ${f(p.p99)} | ${f(p.max)} | ${p.errors} | ${p.timeouts} | ${p.non2xx} | ${f(p.rssAfter)} |`);
  }
  console.log(`\nworkerd RSS: ${f(rss.start)} MB at start, ${f(rss.warm)} MB with both models loaded, ${f(rss.idle)} MB after 10 s idle (growth under load: ${f(rss.idle - rss.warm)} MB)`);
  console.log(`workerd RSS every 5 s (MB): ${timeline.join(' ')}`);
  const iso = (m: IsolateMemory) => `${f(m.heapMb, 1)} MB V8 heap after a full collection + ${f(m.arrayBuffersMb, 1)} MB array buffers`;
  console.log(`the Worker isolate: ${iso(isolate.warm)} with both models loaded, ${iso(isolate.idle)} after the load (growth: ${f(isolate.idle.heapMb + isolate.idle.arrayBuffersMb - isolate.warm.heapMb - isolate.warm.arrayBuffersMb, 1)} MB)`);
  console.log(`static file (never runs the Worker), same phases on the second server: workerd RSS ${f(control.before)} -> ${f(control.idle)} MB after 10 s idle (growth: ${f(control.idle - control.before)} MB)`);
  console.log(`20 concurrent distinct requests byte-identical to the same requests one at a time: ${identical}/20`);
  const failed = [...phases, ...control.phases].some((p) => p.errors + p.timeouts + p.non2xx > 0) || identical !== 20;
  process.exitCode = failed ? 1 : 0;
}

if (args.includes('--hostile')) process.exitCode = (await hostileLoad(VARS)) ? 0 : 1;
else await main();
