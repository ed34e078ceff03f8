/**
 * Starting and stopping `wrangler dev` (the real workerd runtime) for the benchmark. wrangler runs in its own
 * process group, so stopping it (SIGTERM to the group, then SIGKILL) also ends the workerd processes it
 * started; every group started here is also killed when the benchmark exits, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './models.js';
import { descendants, groupMembers, type ProcInfo } from './proc.js';

export interface WranglerDev {
  base: string;
  pid: number;
  /** wrangler's inspector port (Chrome DevTools protocol, proxied to the Worker's isolate) */
  inspector: number;
  /** the workerd process that runs the Worker (wrangler starts it with an inspector address) */
  worker: ProcInfo;
  /** the other workerd processes (wrangler's dev proxy in front of the Worker) */
  others: ProcInfo[];
  /** how many times wrangler has reloaded the Worker (it rebuilds when a source file changes) */
  reloads(): number;
  /** finds the workerd processes again (after a reload) */
  refresh(): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

const groups = new Set<number>();
const states = new Set<string>();

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanUp = () => {
    for (const g of groups) killGroup(g, 'SIGKILL');
    for (const d of states) rmSync(d, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      cleanUp();
      process.exit(130);
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, log: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`wrangler dev: timed out waiting for ${what}\n${log()}`);
    await sleep(200);
  }
}

/** A private folder for wrangler dev's local state (cache, R2), instead of the project's .wrangler/state. */
export function stateFolder(): string {
  hookExit();
  const dir = mkdtempSync(join(tmpdir(), 'ascent-bench-state-'));
  states.add(dir);
  return dir;
}

export function removeState(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  states.delete(dir);
}

/** Starts `wrangler dev` on a free port with local state in `state` and waits until the Worker answers. */
export async function startWrangler(state: string, timeoutMs = 90_000, extraArgs: string[] = []): Promise<WranglerDev> {
  hookExit();
  const port = await freePort();
  const inspector = await freePort();
  const child: ChildProcess = spawn(
    `${ROOT}node_modules/.bin/wrangler`,
    ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state, '--log-level', 'log', '--show-interactive-dev-session=false', ...extraArgs],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true', NO_COLOR: '1', CI: '1' },
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('wrangler dev did not start');
  groups.add(pid);
  let output = '';
  let reloadLines = 0;
  const keep = (b: Buffer) => {
    const text = b.toString();
    reloadLines += (text.match(/Reloading local server/g) ?? []).length;
    output = (output + text).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const log = () => output.split('\n').slice(-30).join('\n');
  const base = `http://127.0.0.1:${port}`;

  const stop = async () => {
    // the leaves first (workerd, esbuild), so that their parent, still alive, reaps them; then wrangler itself;
    // the whole group only if that was not enough
    const signal = (p: number) => {
      try {
        process.kill(p, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    for (const p of descendants(pid).filter((d) => d.comm === 'workerd' || d.comm === 'esbuild')) signal(p.pid);
    await sleep(300);
    signal(pid);
    let end = Date.now() + 5000;
    while (groupMembers(pid).length > 0 && Date.now() < end) await sleep(100);
    killGroup(pid, 'SIGTERM');
    end = Date.now() + 5000;
    while (groupMembers(pid).length > 0 && Date.now() < end) await sleep(100);
    if (groupMembers(pid).length > 0) killGroup(pid, 'SIGKILL');
    while (groupMembers(pid).length > 0 && Date.now() < end + 4000) await sleep(100);
    groups.delete(pid);
  };

  try {
    await waitFor('"Ready on"', timeoutMs, () => (exited ? Promise.reject(new Error(`wrangler dev exited\n${log()}`)) : /Ready on/.test(output) ? true : undefined), log);
    // a static file answers once the whole chain (dev proxy -> asset router) is up; it does not run the Worker
    await waitFor('the local server', timeoutMs, async () => {
      try {
        const r = await fetch(`${base}/favicon.svg`, { signal: AbortSignal.timeout(5000) });
        await r.arrayBuffer();
        return r.ok ? true : undefined;
      } catch {
        return undefined;
      }
    }, log);
    const find = () => waitFor('the Worker\'s workerd process', 30_000, () => {
      const w = descendants(pid).filter((p) => p.comm === 'workerd');
      const user = w.filter((p) => p.args.some((a) => a.startsWith('--inspector-addr')));
      return user.length === 1 ? { worker: user[0]!, others: w.filter((p) => p !== user[0]) } : undefined;
    }, log);
    const found = await find();
    await sleep(1000); // let start-up work settle before anything is measured
    const dev: WranglerDev = {
      base,
      pid,
      inspector,
      worker: found.worker,
      others: found.others,
      reloads: () => reloadLines,
      refresh: async () => {
        await sleep(2000);
        const again = await find();
        dev.worker = again.worker;
        dev.others = again.others;
      },
      log,
      stop,
    };
    return dev;
  } catch (e) {
    await stop();
    throw e;
  }
}
