/**
 * The first requests of a fresh isolate through the whole API (`wrangler dev`, results kept in the isolate only),
 * for several kernel builds alternating in one run: each run copies a build over functions/kernel/build/kernel.wasm,
 * starts `wrangler dev`, sends the default fashion-mlp request and then another (another class), and reads the
 * CPU of the Worker's workerd process per thread (main, V8's background threads) and its page faults. The PNGs of
 * every build must be the same bytes. The built kernel is put back at the end.
 *
 *   tsx bench/kernel-fresh-api.ts [--runs 4] [--model fashion-mlp] old.wasm new.wasm
 */
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ROOT } from './models.js';
import { removeState, startWrangler, stateFolder } from './wrangler.js';
import { median } from './stats.js';
import { takeOption } from './options.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => takeOption(args, name, fallback);
const runs = Number(option('runs', '4'));
const model = option('model', 'fashion-mlp');
const builds = args;
if (!builds.length) throw new Error('usage: tsx bench/kernel-fresh-api.ts [--runs N] a.wasm b.wasm ...');
const KERNEL = join(ROOT, 'functions/kernel/build/kernel.wasm');
const original = readFileSync(KERNEL);

function threads(pid: number): { main: number; v8: number; total: number } {
  let main = 0, v8 = 0, total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ms = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      total += ms;
      if (Number(tid) === pid) main += ms;
      else if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('V8 ')) v8 += ms;
    } catch {
      // the thread ended
    }
  }
  return { main, v8, total };
}
function faults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

type Row = { first: number[]; main: number[]; v8: number[]; faults: number[]; second: number[]; pngs: Set<string> };
const rows = new Map<string, Row>();
try {
  for (let r = 0; r < runs; r++) {
    for (const build of r % 2 ? [...builds].reverse() : builds) {
      copyFileSync(build, KERNEL);
      const state = stateFolder();
      const dev = await startWrangler(state, undefined, ['--var', 'CACHE_API:off']);
      try {
        const pid = dev.worker.pid;
        const measure = async (url: string) => {
          const t0 = threads(pid), f0 = faults(pid);
          const res = await fetch(url);
          const png = Buffer.from(await res.arrayBuffer());
          if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
          await new Promise((s) => setTimeout(s, 25));
          const t1 = threads(pid);
          return { main: t1.main - t0.main, v8: t1.v8 - t0.v8, total: t1.total - t0.total, faults: faults(pid) - f0, png: createHash('sha256').update(png).digest('hex').slice(0, 12) };
        };
        const a = await measure(`${dev.base}/api/v1/maximize?model=${model}&class=7`);
        const b = await measure(`${dev.base}/api/v1/maximize?model=${model}&class=3`);
        const row = rows.get(build) ?? { first: [], main: [], v8: [], faults: [], second: [], pngs: new Set() };
        rows.set(build, row);
        row.first.push(a.total);
        row.main.push(a.main);
        row.v8.push(a.v8);
        row.faults.push(a.faults);
        row.second.push(b.total);
        row.pngs.add(`${a.png},${b.png}`);
        console.log(`${build.split('/').pop()} run ${r + 1}: first ${a.total.toFixed(1)} ms (main ${a.main.toFixed(1)}, V8 threads ${a.v8.toFixed(1)}, ${a.faults} page faults), second ${b.total.toFixed(1)} ms`);
      } finally {
        await dev.stop();
        removeState(state);
      }
    }
  }
} finally {
  writeFileSync(KERNEL, original);
}
console.log(`\n${model}, default request, ${runs} fresh wrangler dev per build, CPU ms of the Worker's workerd (median):`);
console.log('build | first request | main thread | V8 threads | page faults | second request | PNG sha256 (first, second)');
const f = (x: number[]) => median(x).toFixed(1);
for (const [b, r] of rows) console.log(`${b.split('/').pop()} | ${f(r.first)} | ${f(r.main)} | ${f(r.v8)} | ${median(r.faults).toFixed(0)} | ${f(r.second)} | ${[...r.pngs].join(' ')}`);
