/**
 * What a fresh isolate's first ascents cost in workerd, the kernel alone: a standalone workerd (no wrangler, no
 * Hono, no API) whose Worker runs the default 256-step ascent of a built-in model's packed program
 * (kernel-fresh/worker.ts). Each run starts workerd, sends the first request, then a second, and reads the CPU
 * of every workerd thread from /proc around each (main thread apart from V8's background threads, which compile
 * WebAssembly with the optimizing tier). Several kernel builds alternate in one run, so they are compared under
 * the same load:
 *
 *   tsx bench/kernel-fresh.ts [--runs 6] [--model fashion-mlp] [--batch 1] a.wasm b.wasm ...
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './models.js';
import { freePort } from './wrangler.js';
import { median } from './stats.js';
import { takeOption } from './options.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => takeOption(args, name, fallback);
const runs = Number(option('runs', '6'));
const model = option('model', 'fashion-mlp');
const batch = Number(option('batch', '1'));
const steps = Number(option('steps', '256'));
/** V8 flags for workerd (config v8Flags), e.g. --v8 --trace-wasm-compilation-times (printed to stdout) */
const v8 = option('v8', '');
/** write a CPU profile (inspector, 100 us sampling) of the first request to this file */
const profile = option('profile', '');
/** record the first request with `perf record` into this file (with V8's --perf-basic-prof for JIT code names) */
const perf = option('perf', '');
/**
 * first a whole ascent in another isolate of the same workerd process, a different Worker (its script and kernel
 * differ by a byte, so V8 shares no compiled code with it): a fresh isolate in a warm process, as in production
 */
const otherFirst = args.includes('--other-isolate-first') ? (args.splice(args.indexOf('--other-isolate-first'), 1), true) : false;
/** create the program in a request before the measured ones (which then are ascents only) */
const createFirst = args.includes('--create-first') ? (args.splice(args.indexOf('--create-first'), 1), true) : false;
/** further requests after the second, each printed (main + other threads) */
const more = Number(option('more', '0'));
const builds = args.length ? args : [join(ROOT, 'functions/kernel/build/kernel.wasm')];

const WORKERD = join(ROOT, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
const dir = join(tmpdir(), `kernel-fresh-${process.pid}`);
mkdirSync(dir, { recursive: true });
execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), [
  join(ROOT, 'bench/kernel-fresh/worker.ts'), '--bundle', '--format=esm', '--platform=browser', `--outfile=${join(dir, 'worker.js')}`,
  '--external:./kernel.wasm', '--external:./other.wasm', '--external:./fashion-mlp.bin', '--external:./fashion-cnn.bin', '--log-level=warning',
]);
writeFileSync(join(dir, 'other.js'), `${readFileSync(join(dir, 'worker.js'), 'utf8')}\n// another Worker\n`);
for (const m of ['fashion-mlp', 'fashion-cnn']) copyFileSync(join(ROOT, `functions/kernel/build/programs/${m}.bin`), join(dir, `${m}.bin`));

/** CPU ms per thread name (main = the thread whose id is the pid) */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = Number(tid) === pid ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(name, (out.get(name) ?? 0) + ns / 1e6);
    } catch {
      // the thread ended
    }
  }
  return out;
}
/** minor page faults of the process so far (/proc/<pid>/stat field 10) */
function faults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}
const minus = (a: Map<string, number>, b: Map<string, number>) => new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as const).filter(([, v]) => v > 0.05));
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function config(port: number, otherPort = 0): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w), (name = "other", worker = .w2) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main")${otherPort ? `, (name = "http2", address = "127.0.0.1:${otherPort}", http = (), service = "other")` : ''} ],
);
const w2 :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "other.js"),
    (name = "./kernel.wasm", wasm = embed "other.wasm"),
    (name = "./other.wasm", wasm = embed "other.wasm"),
    (name = "./fashion-mlp.bin", data = embed "fashion-mlp.bin"),
    (name = "./fashion-cnn.bin", data = embed "fashion-cnn.bin"),
  ],
  compatibilityDate = "2025-01-01",
);
const w :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "./kernel.wasm", wasm = embed "kernel.wasm"),
    (name = "./other.wasm", wasm = embed "other.wasm"),
    (name = "./fashion-mlp.bin", data = embed "fashion-mlp.bin"),
    (name = "./fashion-cnn.bin", data = embed "fashion-cnn.bin"),
  ],
  compatibilityDate = "2025-01-01",
);
`.replace('sockets = [', `v8Flags = [${v8.split(' ').filter(Boolean).map((f) => JSON.stringify(f)).join(', ')}],\n  sockets = [`);
}

async function started(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'HEAD', signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      if (i > 200) throw new Error('workerd did not start');
      await sleep(50);
    }
  }
}

async function once(build: string): Promise<{ first: Map<string, number>; after: Map<string, number>; second: Map<string, number>; warm: number[]; firstFaults: number; answer: string; timing: string }> {
  copyFileSync(build, join(dir, 'kernel.wasm'));
  // the same kernel with one more (empty) custom section: other wire bytes
  writeFileSync(join(dir, 'other.wasm'), Buffer.concat([readFileSync(build), Buffer.from([0, 2, 1, 0x78])]));
  const port = await freePort();
  const otherPort = otherFirst ? await freePort() : 0;
  writeFileSync(join(dir, 'config.capnp'), config(port, otherPort));
  const inspectorPort = profile ? await freePort() : 0;
  const child = spawn(WORKERD, ['serve', ...(profile ? [`--inspector-addr=127.0.0.1:${inspectorPort}`] : []), join(dir, 'config.capnp')], { stdio: ['ignore', v8 ? 'inherit' : 'ignore', 'inherit'] });
  try {
    const url = `http://127.0.0.1:${port}/ascend?model=${model}&batch=${batch}&steps=${steps}`;
    await started(port);
    await sleep(300);
    const profiler = profile ? await startProfile(inspectorPort) : undefined;
    const recorder = perf ? spawn('perf', ['record', '-q', '-F', '20000', '-p', String(child.pid), '-o', perf], { stdio: 'ignore' }) : undefined;
    if (recorder) await sleep(500);
    if (otherFirst) {
      await (await fetch(url.replace(`:${port}/`, `:${otherPort}/`), { headers: { connection: 'close' } })).text();
      await sleep(500);
    }
    if (createFirst) {
      // the program's creation as a request of its own, so that the first measured request is the first ascent
      for (const part of ['instance', 'unpack']) {
        const p0 = threads(child.pid!);
        await (await fetch(`${url}&create=${part}`, { headers: { connection: 'close' } })).text();
        const p = minus(threads(child.pid!), p0);
        console.log(`  ${part}: main ${(p.get('main') ?? 0).toFixed(1)}, other threads ${(total(p) - (p.get('main') ?? 0)).toFixed(1)}`);
      }
      const c0 = threads(child.pid!);
      await (await fetch(`${url}&create`, { headers: { connection: 'close' } })).text();
      const c = minus(threads(child.pid!), c0);
      console.log(`  creation: main ${(c.get('main') ?? 0).toFixed(1)}, other threads ${(total(c) - (c.get('main') ?? 0)).toFixed(1)}`);
      await sleep(300);
    }
    const f0 = faults(child.pid!);
    const t0 = threads(child.pid!);
    const res = await fetch(url, { headers: { connection: 'close' } });
    const answer = await res.text();
    const timing = res.headers.get('x-timing') ?? '';
    const t1 = threads(child.pid!);
    const firstFaults = faults(child.pid!) - f0;
    if (profiler) writeFileSync(profile, JSON.stringify(await profiler()));
    if (recorder) {
      recorder.kill('SIGINT');
      await new Promise((r) => recorder.once('exit', r));
    }
    await sleep(500);
    const t2 = threads(child.pid!);
    const res2 = await fetch(url, { headers: { connection: 'close' } });
    await res2.text();
    const t3 = threads(child.pid!);
    let warm: number[] = [];
    if (more) {
      // the warm-up curve: main-thread (+ other threads) CPU of each further request
      const curve: string[] = [];
      const totals: number[] = [];
      for (let i = 0; i < more; i++) {
        const a = threads(child.pid!);
        await (await fetch(url, { headers: { connection: 'close' } })).text();
        const d = minus(threads(child.pid!), a);
        curve.push(`${(d.get('main') ?? 0).toFixed(1)}+${(total(d) - (d.get('main') ?? 0)).toFixed(1)}`);
        totals.push(total(d));
      }
      console.log(`  requests 3..${more + 2}: ${curve.join(' ')}`);
      warm = totals.slice(Math.floor(more / 2));
    }
    return { first: minus(t1, t0), after: minus(t2, t1), second: minus(t3, t2), warm, firstFaults, answer, timing: `${timing}; then ${res2.headers.get('x-timing')}` };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** starts the isolate's sampling profiler; the function returned stops it and gives the profile */
async function startProfile(port: number): Promise<() => Promise<unknown>> {
  const { default: WebSocket } = await import('ws');
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 0;
  const pending = new Map<number, (r: { result?: { profile?: unknown } }) => void>();
  ws.on('message', (m) => {
    const r = JSON.parse(String(m)) as { id?: number; result?: { profile?: unknown } };
    if (r.id !== undefined) pending.get(r.id)?.(r);
  });
  const call = (method: string, params = {}) => new Promise<{ result?: { profile?: unknown } }>((resolve) => {
    const id = ++next;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 100 });
  await call('Profiler.start');
  return async () => {
    const r = await call('Profiler.stop');
    ws.close();
    return r.result?.profile;
  };
}

/**
 * --warm N: two builds (the first two arguments) in one workerd and one isolate, N rounds of one request to each
 * (alternating which goes first) after a warm-up: main-thread CPU per request, median, and each round's ratio
 */
const warmRounds = Number(option('warm', '0'));
if (warmRounds) {
  copyFileSync(builds[0]!, join(dir, 'kernel.wasm'));
  copyFileSync(builds[1] ?? builds[0]!, join(dir, 'other.wasm'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), config(port));
  const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await started(port);
    const url = (k: string) => `http://127.0.0.1:${port}/ascend?model=${model}&batch=${batch}&steps=${steps}&kernel=${k}`;
    const cpu: Record<string, number[]> = { main: [], other: [] };
    const ratios: number[] = [];
    for (let r = 0; r < warmRounds + 5; r++) {
      const got: Record<string, number> = {};
      for (const k of r % 2 ? ['other', 'main'] : ['main', 'other']) {
        const a = threads(child.pid!).get('main') ?? 0;
        await (await fetch(url(k), { headers: { connection: 'close' } })).text();
        got[k] = (threads(child.pid!).get('main') ?? 0) - a;
      }
      if (r >= 5) {
        cpu.main!.push(got.main!);
        cpu.other!.push(got.other!);
        ratios.push(got.other! / got.main!);
      }
    }
    console.log(`${model} batch ${batch}, ${steps} steps, warm, main-thread CPU ms per request (median of ${warmRounds}): ${builds[0]!.split('/').pop()} ${median(cpu.main!).toFixed(2)}, ${(builds[1] ?? builds[0]!).split('/').pop()} ${median(cpu.other!).toFixed(2)}; median ratio ${median(ratios).toFixed(3)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

/** --products N: N rounds alternating /products?shape=l2 and shape=l1 in one workerd, main-thread CPU of each */
const productRounds = Number(option('products', '0'));
if (productRounds) {
  copyFileSync(builds[0]!, join(dir, 'kernel.wasm'));
  copyFileSync(builds[0]!, join(dir, 'other.wasm'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), config(port));
  const child = spawn(WORKERD, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await started(port);
    const cpu: Record<string, number[]> = { l2: [], l1: [] };
    for (let r = 0; r < productRounds + 2; r++) {
      for (const shape of r % 2 ? ['l1', 'l2'] : ['l2', 'l1']) {
        const a = threads(child.pid!).get('main') ?? 0;
        await (await fetch(`http://127.0.0.1:${port}/products?shape=${shape}&reps=2000`, { headers: { connection: 'close' } })).text();
        const d = (threads(child.pid!).get('main') ?? 0) - a;
        if (r >= 2) cpu[shape]!.push(d / 2000 * 1000);
      }
    }
    console.log(`µs per pair of products (main thread, median of ${productRounds}): W from L2 ${median(cpu.l2!).toFixed(2)}, same FLOPs from L1 ${median(cpu.l1!).toFixed(2)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const rows = new Map<string, { first: number[]; firstMain: number[]; firstOther: number[]; after: number[]; second: number[]; secondMain: number[]; warm: number[]; faults: number[]; answers: Set<string> }>();
for (let r = 0; r < runs; r++) {
  const order = r % 2 ? [...builds].reverse() : builds;
  for (const b of order) {
    const m = await once(b);
    const row = rows.get(b) ?? { first: [], firstMain: [], firstOther: [], after: [], second: [], secondMain: [], warm: [], faults: [], answers: new Set() };
    rows.set(b, row);
    row.first.push(total(m.first));
    row.firstMain.push(m.first.get('main') ?? 0);
    row.firstOther.push(total(m.first) - (m.first.get('main') ?? 0));
    row.after.push(total(m.after));
    row.second.push(total(m.second));
    row.secondMain.push(m.second.get('main') ?? 0);
    row.answers.add(m.answer);
    row.warm.push(...m.warm);
    row.faults.push(m.firstFaults);
    const fmt = (x: Map<string, number>) => [...x].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    console.log(`${b.split('/').pop()} run ${r + 1}: first {${fmt(m.first)}} (${m.firstFaults} page faults) after {${fmt(m.after)}} second {${fmt(m.second)}} (${m.timing})`);
  }
}
console.log(`\n${model} batch ${batch}, ${steps} steps, ${runs} fresh workerd processes per build, CPU ms (median):`);
console.log('build | first request | main | other threads | page faults in it | 0.5 s after | second | second main | later requests (--more: their second half) | answers');
for (const [b, r] of rows) {
  const f = (x: number[]) => median(x).toFixed(1);
  console.log(`${b.split('/').pop()} | ${f(r.first)} | ${f(r.firstMain)} | ${f(r.firstOther)} | ${median(r.faults).toFixed(0)} | ${f(r.after)} | ${f(r.second)} | ${f(r.secondMain)} | ${r.warm.length ? f(r.warm) : ''} | ${[...r.answers].join(' ')}`);
}
rmSync(dir, { recursive: true, force: true });
