/**
 * The size of what `wrangler deploy` would upload (the Worker: code, onnxruntime's wasm, the models), from
 * `wrangler deploy --dry-run --outdir <tmp>`, which needs no login and no network. The static site (site/dist)
 * is uploaded separately as assets and is not part of this size.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runChild } from './child.js';
import { ROOT } from './models.js';

export interface BundleFile {
  name: string;
  bytes: number;
  gzip: number;
}

export interface BundleResult {
  /** "Total Upload: X KiB / gzip: Y KiB" as wrangler printed it */
  wrangler: string;
  rawKiB: number;
  gzipKiB: number;
  /** the files in the outdir, largest first, gzipped here (level 9) */
  files: BundleFile[];
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, base) : [p.slice(base.length + 1)];
  });
}

export async function bundle(timeoutMs = 180_000): Promise<BundleResult> {
  const out = mkdtempSync(join(tmpdir(), 'ascent-bench-bundle-'));
  try {
    const { stdout, stderr } = await runChild(`${ROOT}node_modules/.bin/wrangler`, ['deploy', '--dry-run', '--outdir', out], {
      timeoutMs,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_HIDE_BANNER: 'true', NO_COLOR: '1', CI: '1' },
    });
    const text = stdout + stderr;
    const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(text);
    const files = walk(out)
      .filter((f) => !f.endsWith('.map') && !f.endsWith('README.md'))
      .map((name) => {
        const b = readFileSync(join(out, name));
        return { name, bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
      })
      .sort((a, b) => b.bytes - a.bytes);
    const sum = (k: 'bytes' | 'gzip') => files.reduce((a, f) => a + f[k], 0) / 1024;
    return {
      wrangler: m ? m[0] : 'not printed',
      rawKiB: m ? Number(m[1]) : sum('bytes'),
      gzipKiB: m ? Number(m[2]) : sum('gzip'),
      files,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
