/**
 * Two kernel builds give the same results: the same ascents (built-in models' packed programs; batch 1 and
 * restarts; every optimizer, the constraints and the regularizers) on each build, compared byte for byte
 * (final 8-bit images, the trace, the probabilities). For changes to functions/kernel/wasm that must not change
 * a bit: `tsx bench/kernel-same-bits.ts old.wasm new.wasm`.
 */
import { readFileSync } from 'node:fs';
import { KernelProgram, type KernelExports } from '../functions/kernel/executor.js';
import { builtinProgram } from '../functions/hosts/node/programs.js';
import type { AscentSpec } from '../functions/engine/ascent.js';
import { NO_REGULARIZATION } from '../functions/engine/regularizers.js';
import { defaultStarts, maximizeSpec } from './node-engine.js';
import type { BuiltinId } from './models.js';

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: tsx bench/kernel-same-bits.ts old.wasm new.wasm');
const instantiate = (file: string) => {
  const module = new WebAssembly.Module(readFileSync(file));
  return async () => (await WebAssembly.instantiate(module, {})).exports as unknown as KernelExports;
};

function variants(batch: number): [string, AscentSpec][] {
  const base = maximizeSpec(batch);
  const mask = new Uint8Array(784).map((_, i) => (i % 28 > 7 && i % 28 < 20 ? 1 : 0));
  const out: [string, AscentSpec][] = [
    ['default', base],
    ['linf eps', { ...base, constraints: { ...base.constraints, eps: 0.1, norm: 'linf' } }],
    ['l2 eps', { ...base, constraints: { ...base.constraints, eps: 2, norm: 'l2' } }],
    ['mask', { ...base, constraints: { ...base.constraints, mask } }],
    ['natural', { ...base, regularization: { l2: 0.005, l1: 0.001, tv: 0.05, blur: 0.5, blurEvery: 2, jitter: 1 }, starts: defaultStarts(batch).map((v) => v * 0.3) }],
  ];
  for (const o of ['sgd', 'normalized', 'sign', 'rmsprop'] as const) out.push([o, { ...base, optimizer: o, regularization: NO_REGULARIZATION }]);
  return out;
}

let failures = 0;
for (const model of ['fashion-mlp', 'fashion-cnn'] as BuiltinId[]) {
  const packed = builtinProgram(model)!;
  const [ka, kb] = await Promise.all([a, b].map((f) => KernelProgram.create(instantiate(f), packed.graph, packed.meta)));
  for (const batch of model === 'fashion-cnn' ? [1, 3] : [1, 10]) {
    for (const [name, spec] of variants(batch)) {
      const s = model === 'fashion-cnn' ? { ...spec, steps: 24 } : spec;
      const [ra, rb] = [await ka!.ascend(s), await kb!.ascend(s)];
      const same = Buffer.compare(Buffer.from(ra.levels), Buffer.from(rb.levels)) === 0
        && JSON.stringify(ra.trace) === JSON.stringify(rb.trace)
        && JSON.stringify(Array.from(ra.probabilities)) === JSON.stringify(Array.from(rb.probabilities));
      if (!same) failures++;
      console.log(`${same ? 'same' : 'DIFFERENT'}  ${model} batch ${batch} ${name}`);
    }
  }
}
if (failures) {
  console.log(`${failures} differ`);
  process.exit(1);
}
