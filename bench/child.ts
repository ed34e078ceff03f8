/**
 * Runs a child process for the benchmark (the tfjs and PyTorch peers, the floor, wrangler's dry run): feeds
 * `input` on stdin, collects the output, fails on a non-zero exit or after `timeoutMs`, and never leaves the
 * child behind when the benchmark exits.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './models.js';

const live = new Set<ReturnType<typeof spawn>>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface ChildOptions {
  input?: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** stdout and stderr of a command run in the repository root. */
export function runChild(command: string, args: string[], o: ChildOptions): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: o.env ?? process.env });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args[0] ?? ''}: timed out after ${o.timeoutMs / 1000} s`));
    }, o.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      live.delete(child);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ').slice(0, 80)} exited with ${code}\n${stderr || stdout.slice(-3000)}`));
    });
    child.stdin.end(o.input ?? '');
  });
}
