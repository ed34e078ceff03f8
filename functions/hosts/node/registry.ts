/**
 * The built-in models read from the models/ folder on disk (Node hosts: the CLI, benchmarks, tests). The Worker
 * bundles the same files instead (hosts/workerd/registry.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSamples, type Samples } from '../../registry/samples.js';
import { manifestEntries, manifestRegistry } from '../../registry/manifest.js';
import { priorRegistry, type PriorRegistry } from '../../registry/priors.js';
import type { ModelRegistry } from '../../registry/types.js';
import { hasBuiltinProgram } from './programs.js';

const root = new URL('../../../models/', import.meta.url);

export function fileRegistry(): ModelRegistry {
  const entries = manifestEntries(JSON.parse(readFileSync(fileURLToPath(new URL('manifest.json', root)), 'utf8')));
  const bytes = new Map<string, Uint8Array>();
  return manifestRegistry(entries, (file) => {
    let b = bytes.get(file);
    if (!b) {
      b = new Uint8Array(readFileSync(fileURLToPath(new URL(file, root))));
      bytes.set(file, b);
    }
    return b;
  }, hasBuiltinProgram);
}

let samples: Samples | undefined;
export function fileSamples(): Samples {
  samples ??= readSamples(new Uint8Array(readFileSync(fileURLToPath(new URL('data/fashion-test-samples.bin', root)))));
  return samples;
}

/** The image priors in models/priors/. */
export function filePriors(): PriorRegistry {
  const dir = new URL('priors/', root);
  return priorRegistry(JSON.parse(readFileSync(fileURLToPath(new URL('manifest.json', dir)), 'utf8')),
    (file) => new Uint8Array(readFileSync(fileURLToPath(new URL(file, dir)))));
}
