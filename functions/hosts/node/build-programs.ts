/**
 * `npm run build:programs`: the built-in models' gradient programs (class targets, "logit"), compiled once at
 * build time and packed (functions/kernel/pack.ts) into functions/kernel/build/programs/<id>.bin, which the Worker
 * bundles. A fresh isolate then runs a default request without compiling anything.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileGradient, programGraph, programMeta } from '../../compiler/index.js';
import { runnerOutputs } from '../../engine/runner.js';
import { kernelPlan } from '../../kernel/executor.js';
import { packProgram } from '../../kernel/pack.js';
import { manifestEntries } from '../../registry/manifest.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const OUT = fileURLToPath(new URL('../../kernel/build/programs/', import.meta.url));

mkdirSync(OUT, { recursive: true });
for (const e of manifestEntries(JSON.parse(readFileSync(`${MODELS}manifest.json`, 'utf8')))) {
  const program = compileGradient(new Uint8Array(readFileSync(`${MODELS}${e.file}`)), { target: 'logit', input: e.input.name, output: e.output.name });
  const meta = programMeta(program);
  const graph = programGraph(program, runnerOutputs(meta));
  kernelPlan(graph, meta); // a built-in model the kernel cannot run is a build error
  const bytes = packProgram({ graph, meta });
  writeFileSync(`${OUT}${e.id}.bin`, bytes);
  console.log(`${e.id}: ${(bytes.length / 1024).toFixed(0)} KiB`);
}
