/**
 * Ascent through `wrangler dev`, i.e. inside the real workerd runtime: the CPU time the Worker's workerd process
 * spends per request, read from /proc around each request (see proc.ts). Measured: the first request of a
 * fresh isolate (onnxruntime start-up, compiling the model, creating the session, then the request), warm
 * requests (each URL distinct so none is answered from the cache, checked with X-Ascent-Cache: miss) and cache
 * hits (the same URL again, X-Ascent-Cache: hit).
 *
 * Batch 10 is restarts=10: ten starts of class 7 optimized together, as in every other runtime of the benchmark.
 */
import { minorFaults, statCpuMs, schedCpuMs, threadCpuMs } from './proc.js';
import { median, warmUntilSettled } from './stats.js';
import { WARMUP, WARMUP_QUICK } from './node-engine.js';
import { removeState, startWrangler, stateFolder, type WranglerDev } from './wrangler.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, type BuiltinId } from './models.js';

export interface WorkerdSample {
  /** CPU of the Worker's workerd process, ms */
  cpuMs: number;
  /** of which V8's background threads (optimizing compilers, GC helpers), ms */
  v8Ms: number;
  /** minor page faults of the Worker's process during the request (first touches of fresh memory pages) */
  faults: number;
  /** CPU of wrangler's other workerd processes (the dev proxy), ms */
  proxyMs: number;
  wallMs: number;
  cache: string;
}

export interface WorkerdConfig {
  model: BuiltinId;
  batch: 1 | 10;
  /** the default request through this image prior (prior=...) */
  prior?: string;
  /** instead of maximize: the default /api/v1/attribute request with this method, on a test image */
  attribute?: string;
}

export interface WorkerdRow extends WorkerdConfig {
  warm: WorkerdSample[];
  /** mean CPU per warm request from utime+stime ticks over the whole series (a coarse cross-check) */
  warmTicksMs: number;
  hit: WorkerdSample[];
  /** the same URL with If-None-Match (304), and an unknown API path (404): the parts of a cache hit */
  revalidated: WorkerdSample[];
  notFound: WorkerdSample[];
  /** the same request with steps=1: the request's cost besides its steps */
  oneStep: WorkerdSample[];
  /** CPU ms of the warm-up requests before the measured ones, in order */
  warmups: number[];
  /** first request of a fresh isolate, compiled program already stored (batch 1 only) */
  cold?: WorkerdSample;
  /** final probability of the class, from the X-Ascent-Probability header of the last warm request */
  probability: number;
}

export interface WorkerdResult {
  rows: WorkerdRow[];
  /** CPU the idle Worker process burns per second (background work that leaks into every reading) */
  idleMsPerS: number;
  startups: number;
  /** the very first request with empty local state (the program is compiled and stored), batch 1 */
  firstEver?: { model: BuiltinId; sample: WorkerdSample };
  /**
   * The first configuration again with the Cache API on (as deployed): `wrangler dev` simulates it with another
   * service inside the Worker's workerd process, so its CPU is read as the Worker's. The rows above run with
   * CACHE_API=off (results in the isolate's memory only).
   */
  cacheApi?: { model: BuiltinId; batch: number; warm: WorkerdSample[]; oneStep: WorkerdSample[]; offWarm: WorkerdSample[]; offOneStep: WorkerdSample[] };
  /**
   * What a request costs the same local runtime when the Worker does nothing: a Worker that answers every request
   * with an empty 404, served by `wrangler dev` with Ascent's assets and routing rules. This is workerd's HTTP
   * handling and wrangler dev's plumbing (its entry and asset-router Workers run in the same process): work of
   * the runtime, not of the Worker.
   */
  emptyWorker?: WorkerdSample[];
}

/** The empty Worker of WorkerdResult.emptyWorker: a config next to a one-line script, in a temporary folder. */
function emptyWorkerConfig(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ascent-bench-empty-'));
  writeFileSync(join(dir, 'empty.js'), 'export default { fetch: () => new Response(null, { status: 404 }) };\n');
  const config = join(dir, 'wrangler.toml');
  writeFileSync(config, [
    'name = "ascent-empty"', 'main = "empty.js"', 'compatibility_date = "2026-04-20"', 'send_metrics = false', '',
    '[assets]', `directory = ${JSON.stringify(`${ROOT}site/dist`)}`, 'run_worker_first = ["/api/*"]', 'not_found_handling = "404-page"', '',
  ].join('\n'));
  return { dir, config };
}

/** CPU per request of the empty Worker (see WorkerdResult.emptyWorker). */
async function emptyWorker(opts: { quick: boolean; log: (s: string) => void }): Promise<WorkerdSample[]> {
  opts.log('workerd: an empty Worker in the same runtime (what any request costs outside the Worker)');
  const { dir, config } = emptyWorkerConfig();
  const state = stateFolder();
  const dev = await startWrangler(state, undefined, ['--config', config]);
  try {
    const url = `${dev.base}/api/v1/no-such-endpoint`;
    for (let i = 0; i < 10; i++) await measured(dev, url, 404);
    const out: WorkerdSample[] = [];
    for (let i = 0; i < (opts.quick ? 10 : 30); i++) out.push((await measured(dev, url, 404)).sample);
    return out;
  } finally {
    await dev.stop();
    removeState(state);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** wrangler dev's arguments for the measured Worker: results in the isolate's memory only (see WorkerdResult.cacheApi). */
const NO_CACHE_API = ['--var', 'CACHE_API:off'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let sequence = 0;

/**
 * A maximize URL with the default work and output (a PNG) and a unique lr (0.05000001, 0.05000002, ...; through a
 * prior 0.10000001, ..., its default being 0.1), so it is never cached. An attribution: a distinct test image.
 */
function freshUrl(base: string, c: WorkerdConfig, extra = ''): string {
  sequence += 1;
  // an attribution: a different test image each time (1000 are shipped), the class the model predicts
  if (c.attribute) return `${base}/api/v1/attribute?model=${c.model}&method=${c.attribute}&sample=${sequence % 1000}${extra}`;
  const lr = `${c.prior ? '0.1' : '0.05'}${String(sequence).padStart(6, '0')}`;
  return `${base}/api/v1/maximize?model=${c.model}&class=7&lr=${lr}${c.batch === 10 ? '&restarts=10' : ''}${c.prior ? `&prior=${c.prior}` : ''}${extra}`;
}

/** wrangler reloaded the Worker (a source file changed) during a measurement: the isolate is new. */
class Reloaded extends Error {}

/** One request with the Worker's CPU around it; `expect`: the X-Ascent-Cache header, or an HTTP status. */
async function measured(dev: WranglerDev, url: string, expect: 'miss' | 'hit' | number, headers: Record<string, string> = {}): Promise<{ sample: WorkerdSample; etag: string; probability: number }> {
  const reloads = dev.reloads();
  const w0 = threadCpuMs(dev.worker.pid);
  const f0 = minorFaults(dev.worker.pid);
  const p0 = dev.others.reduce((a, p) => a + schedCpuMs(p.pid), 0);
  const t0 = performance.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(180_000) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const body = () => new TextDecoder().decode(bytes.subarray(0, 300));
  const wallMs = performance.now() - t0;
  await sleep(25); // the worker may still be finishing bookkeeping after the last byte
  const w1 = threadCpuMs(dev.worker.pid);
  const cpuMs = w1.total - w0.total;
  const v8Ms = w1.v8 - w0.v8;
  const faults = minorFaults(dev.worker.pid) - f0;
  const proxyMs = dev.others.reduce((a, p) => a + schedCpuMs(p.pid), 0) - p0;
  if (!Number.isFinite(cpuMs) || dev.reloads() !== reloads) throw new Reloaded(`wrangler reloaded the Worker during ${url}`);
  const cache = res.headers.get('x-ascent-cache') ?? 'none';
  if (typeof expect === 'number') {
    if (res.status !== expect) throw new Error(`${url}: HTTP ${res.status}, expected ${expect}: ${body()}`);
  } else {
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${body()}`);
    if (cache !== expect) throw new Error(`${url}: X-Ascent-Cache is "${cache}", expected "${expect}"`);
  }
  return { sample: { cpuMs, v8Ms, faults, proxyMs, wallMs, cache }, etag: res.headers.get('etag') ?? '', probability: Number(res.headers.get('x-ascent-probability') ?? NaN) };
}

async function idleRate(dev: WranglerDev): Promise<number> {
  const c0 = schedCpuMs(dev.worker.pid);
  await sleep(1000);
  return schedCpuMs(dev.worker.pid) - c0;
}

/**
 * The Worker's warm-up: at least 40 requests, then until settled. workerd's V8 tiers WebAssembly up only after about
 * 13 M bytes of a function have run (Node: 1.8 M), and a settled window of three requests came too early: a series
 * of 10 right after it measured a warm default fashion-mlp request at 7.7-10.9 ms, 40 warm-ups and 150 requests
 * alternating with another Worker at 6.8 ms (the same build).
 */
const WARMUP_WORKERD = { ...WARMUP, minRuns: 40 };

/** Warm-up until settled, then `reps` distinct requests (cache misses), then cache hits of the last URL. */
async function warmSeries(dev: WranglerDev, c: WorkerdConfig, opts: { quick: boolean; log: (s: string) => void }): Promise<WorkerdRow> {
  const reps = opts.quick ? 4 : 20;
  opts.log(`workerd: ${c.model} ${c.attribute ? `attribute method=${c.attribute}` : `batch ${c.batch}`}${c.prior ? ` prior=${c.prior}` : ''}, warm`);
  const warmup = await warmUntilSettled(async () => (await measured(dev, freshUrl(dev.base, c), 'miss')).sample.cpuMs, opts.quick ? WARMUP_QUICK : WARMUP_WORKERD);
  const warm: WorkerdSample[] = [];
  const t0 = statCpuMs(dev.worker.pid);
  let lastUrl = '';
  let probability = NaN;
  for (let i = 0; i < reps; i++) {
    lastUrl = freshUrl(dev.base, c);
    const r = await measured(dev, lastUrl, 'miss');
    warm.push(r.sample);
    probability = r.probability;
  }
  const warmTicksMs = (statCpuMs(dev.worker.pid) - t0) / reps;
  const hit: WorkerdSample[] = [];
  let etag = '';
  for (let i = 0; i < reps; i++) {
    const r = await measured(dev, lastUrl, 'hit');
    hit.push(r.sample);
    etag = r.etag;
  }
  // what a hit is made of: the same URL revalidated (If-None-Match: parsing, planning, ETag; no cache lookup,
  // no body), and an unknown API path (HTTP and routing only)
  const revalidated: WorkerdSample[] = [];
  const notFound: WorkerdSample[] = [];
  // and what a computed request costs besides its steps: the same request with steps=1 (two runs)
  const oneStep: WorkerdSample[] = [];
  for (let i = 0; i < reps; i++) {
    revalidated.push((await measured(dev, lastUrl, 304, { 'If-None-Match': etag })).sample);
    notFound.push((await measured(dev, `${dev.base}/api/v1/no-such-endpoint`, 404)).sample);
    oneStep.push((await measured(dev, freshUrl(dev.base, c, c.attribute ? '&steps=2' : '&steps=1'), 'miss')).sample);
  }
  return { ...c, warm, warmTicksMs, hit, revalidated, notFound, oneStep, warmups: warmup, probability };
}

/**
 * The first configuration with the Cache API simulation on (as deployed), in a second wrangler dev, its requests
 * alternating with the same requests to `dev` (CACHE_API=off) so both see the same machine load.
 */
async function withCacheApi(dev: WranglerDev, c: WorkerdConfig, opts: { quick: boolean; log: (s: string) => void }): Promise<WorkerdResult['cacheApi']> {
  opts.log(`workerd: ${c.model} batch ${c.batch}, with the Cache API simulation, alternating with the rows' Worker`);
  const state = stateFolder();
  const on = await startWrangler(state);
  try {
    await warmUntilSettled(async () => (await measured(on, freshUrl(on.base, c), 'miss')).sample.cpuMs, opts.quick ? WARMUP_QUICK : WARMUP_WORKERD);
    const r: NonNullable<WorkerdResult['cacheApi']> = { model: c.model, batch: c.batch, warm: [], oneStep: [], offWarm: [], offOneStep: [] };
    for (let i = 0; i < (opts.quick ? 4 : 10); i++) {
      r.warm.push((await measured(on, freshUrl(on.base, c), 'miss')).sample);
      r.offWarm.push((await measured(dev, freshUrl(dev.base, c), 'miss')).sample);
      r.oneStep.push((await measured(on, freshUrl(on.base, c, '&steps=1'), 'miss')).sample);
      r.offOneStep.push((await measured(dev, freshUrl(dev.base, c, '&steps=1'), 'miss')).sample);
    }
    return r;
  } finally {
    await on.stop();
    removeState(state);
  }
}

export async function workerdBench(configs: WorkerdConfig[], opts: { quick: boolean; cold: boolean; log: (s: string) => void }): Promise<WorkerdResult> {
  const rows: WorkerdRow[] = [];
  let startups = 0;
  let idleMsPerS = NaN;
  let firstEver: WorkerdResult['firstEver'];
  let cacheApi: WorkerdResult['cacheApi'];
  const colds = new Map<BuiltinId, WorkerdSample>();
  const coldModels = opts.cold ? [...new Set(configs.filter((c) => c.batch === 1 && !c.prior && !c.attribute).map((c) => c.model))] : [];
  const state = stateFolder();
  try {
    // 1. empty local state: the very first request compiles the model and stores the program (R2); then warm
    //    requests and cache hits for every configuration in this one isolate
    opts.log('workerd: starting wrangler dev');
    const dev = await startWrangler(state, undefined, NO_CACHE_API);
    startups++;
    try {
      idleMsPerS = await idleRate(dev);
      const first = coldModels[0];
      if (first) {
        opts.log(`workerd: very first request (empty state), ${first}`);
        firstEver = { model: first, sample: (await measured(dev, freshUrl(dev.base, { model: first, batch: 1 }), 'miss')).sample };
      }
      for (const c of configs) {
        for (let attempt = 1; ; attempt++) {
          try {
            rows.push(await warmSeries(dev, c, opts));
            break;
          } catch (e) {
            if (!(e instanceof Reloaded) || attempt === 3) throw e;
            opts.log(`workerd: ${e.message}; measuring ${c.model} batch ${c.batch} again`);
            await dev.refresh();
          }
        }
      }
      const c = configs[0];
      if (c && !c.attribute) {
        cacheApi = await withCacheApi(dev, c, opts);
        startups++;
      }
    } finally {
      await dev.stop();
    }
    // 2. per model, a restarted wrangler dev (same state: the compiled program is in the store, as in
    //    production after the first request anywhere): the first request of a fresh isolate
    for (const model of coldModels) {
      for (let attempt = 1; ; attempt++) {
        opts.log(`workerd: restarting wrangler dev, first request of a fresh isolate, ${model}`);
        const fresh = await startWrangler(state, undefined, NO_CACHE_API);
        startups++;
        try {
          colds.set(model, (await measured(fresh, freshUrl(fresh.base, { model, batch: 1 }), 'miss')).sample);
          break;
        } catch (e) {
          if (!(e instanceof Reloaded) || attempt === 3) throw e;
          opts.log(`workerd: ${e.message}; once more`);
        } finally {
          await fresh.stop();
        }
      }
    }
  } finally {
    removeState(state);
  }
  for (const r of rows) {
    const cold = r.batch === 1 ? colds.get(r.model) : undefined;
    if (cold) r.cold = cold;
  }
  const empty = await emptyWorker(opts);
  startups++;
  return { rows, idleMsPerS, startups, ...(firstEver ? { firstEver } : {}), ...(cacheApi ? { cacheApi } : {}), emptyWorker: empty };
}

export const medianOf = (xs: WorkerdSample[], k: keyof Omit<WorkerdSample, 'cache'>) => median(xs.map((x) => x[k]));
