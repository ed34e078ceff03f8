/**
 * What the numbers were measured on: the date, the CPU, the cores, Node, and the versions of the runtimes
 * compared (read from node_modules and from the Python peer).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  load: string;
  versions: Record<string, string>;
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function workerdVersion(): string {
  try {
    const bin = `${ROOT}node_modules/@cloudflare/workerd-linux-64/bin/workerd`;
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim().replace(/^workerd\s*/, '');
  } catch {
    return packageVersion('workerd');
  }
}

export function machine(): Machine {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpuModel(),
    cores: cpus().length,
    node: process.version,
    load: loadavg().map((v) => v.toFixed(2)).join(' '),
    versions: {
      'onnxruntime-web': packageVersion('onnxruntime-web'),
      wrangler: packageVersion('wrangler'),
      workerd: workerdVersion(),
      '@tensorflow/tfjs': packageVersion('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': packageVersion('@tensorflow/tfjs-backend-wasm'),
      hono: packageVersion('hono'),
    },
  };
}
