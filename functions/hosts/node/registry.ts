/**
 * The built-in models read from the models/ folder on disk (Node hosts: the CLI, benchmarks, tests). The Worker
 * bundles the same files instead (registry/builtin.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSamples, type Samples } from '../../registry/samples.js';
import { manifestEntries, manifestInfo } from '../../registry/manifest.js';
import { priorRegistry, type PriorRegistry } from '../../registry/priors.js';
import type { ModelInfo, ModelRegistry } from '../../registry/types.js';
import { hasBuiltinProgram } from './programs.js';

const root = new URL('../../../models/', import.meta.url);

export function fileRegistry(): ModelRegistry {
  const entries = manifestEntries(JSON.parse(readFileSync(fileURLToPath(new URL('manifest.json', root)), 'utf8')));
  const bytes = new Map<string, Uint8Array>();
  // the kernel runs the models whose precompiled program is built (npm run build:programs)
  const infoOf = (e: (typeof entries)[number]): ModelInfo => ({ ...manifestInfo(e), engine: hasBuiltinProgram(e.id) ? 'kernel' : 'onnxruntime' });
  return {
    async list() {
      return entries.map(infoOf);
    },
    async get(id) {
      const e = entries.find((m) => m.id === id);
      if (!e) return undefined;
      let b = bytes.get(e.file);
      if (!b) {
        b = new Uint8Array(readFileSync(fileURLToPath(new URL(e.file, root))));
        bytes.set(e.file, b);
      }
      return { info: infoOf(e), bytes: b };
    },
  };
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
