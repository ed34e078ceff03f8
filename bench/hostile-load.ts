/**
 * `npm run load -- --hostile`: the hostile catalogue (test/hostile/catalogue.ts, the same requests the workerd test
 * sends) against `wrangler dev`, one request at a time. For each: its time to the last byte, and how far it raised
 * the workerd process's memory: the peak resident size while it ran (VmHWM, reset before each request through
 * /proc/<pid>/clear_refs) minus the resident size before it. The catalogue here includes its heaviest admitted
 * requests (CPU estimates near the limit, the largest outputs). Reports the status classes, the largest rises and
 * the slowest answers; fails on a 5xx, an answer over 10 s or a rise over 128 MB.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostileCatalogue, type Case } from '../test/hostile/catalogue.js';
import { ROOT } from './models.js';
import { statCpuMs } from './proc.js';
import { removeState, startWrangler, stateFolder } from './wrangler.js';

const MAX_MS = 10_000;
const MAX_RISE_MB = 128;

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)![1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets the process's peak resident size to its current one (Linux 4.0+: "5" > clear_refs). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

interface Measured {
  name: string;
  status: number;
  ms: number;
  /** CPU time of the workerd process while it ran (10 ms ticks) */
  cpuMs: number;
  riseMb: number;
}

export async function hostileLoad(vars: string[]): Promise<boolean> {
  const state = stateFolder();
  const dev = await startWrangler(state, undefined, vars);
  const groups = hostileCatalogue(new Uint8Array(readFileSync(`${ROOT}models/fashion-mlp.onnx`)), true);
  const measured: Measured[] = [];
  let start = 0;
  try {
    // both built-in models loaded first: their one-time load is not a request's memory
    for (const m of ['fashion-mlp', 'fashion-cnn']) await (await fetch(`${dev.base}/api/v1/maximize?model=${m}&class=0&seed=1`)).arrayBuffer();
    start = memory(dev.worker.pid).rss;
    for (const [group, cases] of groups) {
      for (const c of cases as Case[]) {
        const pid = dev.worker.pid;
        resetPeak(pid);
        const before = memory(pid).rss;
        const cpu = statCpuMs(pid);
        const t = performance.now();
        let status: number;
        try {
          // a connection of its own: wrangler dev's proxy may close one after a refused upload
          const headers = { ...(c.init?.headers as Record<string, string> | undefined), connection: 'close' };
          const r = await fetch(`${dev.base}${c.path}`, { ...c.init, headers, signal: AbortSignal.timeout(30_000) });
          await r.arrayBuffer();
          status = r.status;
        } catch {
          status = 0; // no answer within 30 s, or the connection failed
        }
        const ms = performance.now() - t;
        measured.push({ name: `${group}: ${c.name}`, status, ms, cpuMs: statCpuMs(pid) - cpu, riseMb: memory(pid).peak - before });
      }
    }
  } finally {
    const end = memory(dev.worker.pid).rss;
    await dev.stop();
    removeState(state);
    console.log(`\nworkerd RSS ${start.toFixed(0)} MB before the catalogue, ${end.toFixed(0)} MB after it`);
  }

  const f = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const count = (test: (m: Measured) => boolean) => measured.filter(test).length;
  console.log(`${measured.length} requests, one at a time: ${count((m) => m.status >= 200 && m.status < 300)} 2xx, ${count((m) => m.status >= 400 && m.status < 500)} 4xx, ${count((m) => m.status >= 500)} 5xx, ${count((m) => m.status === 0)} without an answer`);
  const top = (key: (m: Measured) => number) => [...measured].sort((a, b) => key(b) - key(a)).slice(0, 5);
  console.log('\nlargest rises of the workerd process memory (peak while the request ran minus before):');
  for (const m of top((m) => m.riseMb)) console.log(`  ${f(m.riseMb, 1)} MB  ${m.status}  ${f(m.ms)} ms  ${m.name.slice(0, 110)}`);
  console.log('slowest answers:');
  for (const m of top((m) => m.ms)) console.log(`  ${f(m.ms)} ms (workerd CPU ${f(m.cpuMs)} ms)  ${m.status}  ${f(m.riseMb, 1)} MB  ${m.name.slice(0, 110)}`);
  console.log('the heaviest admitted requests:');
  for (const m of measured.filter((m) => m.name.startsWith('heaviest'))) console.log(`  ${m.status}  ${f(m.ms)} ms (workerd CPU ${f(m.cpuMs)} ms)  ${f(m.riseMb, 1)} MB  ${m.name.slice(0, 110)}`);
  const bad = measured.filter((m) => m.status === 0 || m.status >= 500 || m.ms > MAX_MS || m.riseMb > MAX_RISE_MB);
  for (const m of bad) console.log(`OVER A BAR: ${m.status} ${f(m.ms)} ms ${f(m.riseMb, 1)} MB ${m.name}`);
  console.log(`\nlargest rise ${f(Math.max(...measured.map((m) => m.riseMb)), 1)} MB (bar ${MAX_RISE_MB} MB), slowest answer ${f(Math.max(...measured.map((m) => m.ms)))} ms (bar ${f(MAX_MS)} ms), ${bad.length} over a bar`);
  return bad.length === 0;
}
