/**
 * The product as a user starts it: `wrangler dev` (the real workerd runtime) serving the API and the built site
 * (npm test builds the site before vitest runs). Started on free ports, stopped with SIGTERM to its whole process
 * group (wrangler and the workerd it spawns), with SIGKILL as the last resort, so no process outlives the tests.
 * Each server keeps its state (R2 uploads, caches) in a fresh temporary folder, not in the developer's .wrangler/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  /** http://127.0.0.1:<port> */
  url: string;
  /** the last lines wrangler printed (for failure messages) */
  log(): string;
  stop(): Promise<void>;
  /** SIGTERM to wrangler and workerd at once, without waiting (for a process that is exiting) */
  kill(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startServer(timeoutMs = 90_000): Promise<Server> {
  if (!existsSync(`${ROOT}site/dist/index.html`)) throw new Error('site/dist is missing: build the site first (npm run build; npm test does it).');
  const port = await freePort();
  const inspector = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const state = mkdtempSync(join(tmpdir(), 'ascent-state-'));
  const child = spawn(`${ROOT}node_modules/.bin/wrangler`,
    ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state, '--show-interactive-dev-session=false'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true', NO_COLOR: '1' },
    });
  let output = '';
  const collect = (b: Buffer) => { output = (output + b.toString()).slice(-20_000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => { exited = code; resolve(); }));
  const pid = child.pid!;

  const stop = async () => {
    if (exited === undefined && alive(pid)) {
      process.kill(-pid, 'SIGTERM');
      await Promise.race([exit, sleep(10_000)]);
    }
    // workerd may outlive wrangler for a moment: whatever is left of the group goes now
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
    rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) throw new Error(`wrangler dev exited (${exited}) before answering:\n${output}`);
    try {
      const r = await fetch(`${url}/api/v1/models`, { signal: AbortSignal.timeout(5_000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(250);
  }
  const kill = () => {
    if (exited === undefined && alive(pid)) process.kill(-pid, 'SIGTERM');
    rmSync(state, { recursive: true, force: true });
  };
  return { url, log: () => output, stop, kill };
}

let shared: Promise<Server> | undefined;

/**
 * One `wrangler dev` for every test file of this process that asks for it (the node project runs its files in one
 * process: isolate false in vitest.config.ts), so that each file does not wait for its own to start. Started by
 * the first caller, stopped when the process ends (SIGTERM from vitest, or a normal exit). Its state is shared:
 * a file uses it for requests that do not depend on what another file did (uploads get random ids).
 */
export function sharedServer(): Promise<Server> {
  if (!shared) {
    shared = startServer();
    shared.then((server) => {
      process.once('exit', server.kill);
      process.once('SIGTERM', () => {
        server.kill();
        process.exit(143);
      });
    }, () => { shared = undefined; });
  }
  return shared;
}
