/**
 * The compiler under hostile models: zero strides, negative or huge pads, run-time shape ops that would make
 * gigabytes, attributes of the wrong kind. Each is refused at compile time with a CompileError naming the node
 * (or a ModelError / OnnxFormatError for the file as a whole), never a crash, a hang or a program that allocates
 * beyond the limits; and what does compile runs in onnxruntime or fails there without breaking it.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompileError, ModelError, compileGradient, encodeProgram, programMeta, type GradientProgram } from '../../../functions/compiler/index.js';
import type { CompileLimits } from '../../../functions/compiler/limits.js';
import { createRunner, runnerOutputs } from '../../../functions/engine/runner.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { OnnxFormatError, decodeModel } from '../../../functions/onnx/model.js';
import { arbChainModel, arbModel, encodeModelProto, namedHostileFiles } from '../../hostile/onnx.js';

const LIMITS: CompileLimits = { maxTensorElements: 1 << 20, maxRank: 8, maxNodes: 1000 };

/** The program, or the class of the refusal; any other exception fails the test. */
function compile(bytes: Uint8Array, limits = LIMITS): GradientProgram | string {
  try {
    return compileGradient(decodeModel(bytes), { limits });
  } catch (e) {
    if (e instanceof CompileError || e instanceof ModelError || e instanceof OnnxFormatError) return `${e.name}: ${e.message}`;
    throw e;
  }
}

/** What a compiled program holds is bounded by the limits it was compiled with. */
function bounded(p: GradientProgram, limits: CompileLimits): void {
  for (const t of p.model.graph.initializers.values()) expect(t.data.length).toBeLessThanOrEqual(limits.maxTensorElements);
  for (const v of Object.values(p.memory)) expect(Number.isFinite(v) && v >= 0).toBe(true);
  const tensors = p.model.graph.nodes.length + p.model.graph.initializers.size + 1;
  expect(p.memory.perRowBytes + p.memory.fixedBytes).toBeLessThanOrEqual(tensors * limits.maxTensorElements * 8);
  expect(Number.isFinite(p.forwardFlops)).toBe(true);
}

describe('named hostile models', () => {
  const outcome = Object.fromEntries(namedHostileFiles().map((f) => {
    const r = compile(f.bytes, { maxTensorElements: 16 * 1024 * 1024, maxRank: 16, maxNodes: 1000 });
    return [f.name, typeof r === 'string' ? r : 'compiled'];
  }));

  it('refuses zero strides, dilations and groups by name, before any division', () => {
    expect(outcome['Conv with stride 0']).toMatch(/node "conv" \(Conv\): strides \[0, 0\] must be integers >= 1/);
    expect(outcome['Conv with dilation 0']).toMatch(/dilations \[0, 0\] must be integers >= 1/);
    expect(outcome['Conv with group 0']).toMatch(/group=0 must be an integer >= 1/);
    expect(outcome['MaxPool with stride 0']).toMatch(/node "pool" \(MaxPool\): strides \[0, 0\]/);
  });

  it('evaluates run-time shape ops at compile time and refuses the sizes over the limit', () => {
    expect(outcome['Pad by 100,000 on each side']).toMatch(/node "pad" \(Pad\): an output of shape \[N, 1, 200028, 200028\] would hold 40,011,200,784 elements per sample/);
    expect(outcome['ConstantOfShape [65536, 65536]']).toMatch(/node "fill" \(ConstantOfShape\): an output of shape \[65536, 65536\] would hold 4,294,967,296 elements/);
    expect(outcome['Expand to [N, 65536, 28, 28]']).toMatch(/node "expand" \(Expand\).*would hold/);
    expect(outcome['AveragePool with a kernel of 10^6']).toMatch(/node "pool" \(AveragePool\)/);
  });

  it('refuses malformed shapes and attributes', () => {
    expect(outcome['Reshape with two -1']).toMatch(/more than one -1/);
    expect(outcome['Transpose with a repeated axis']).toMatch(/perm \[0,0,1,2\] is not a permutation/);
    expect(outcome['LeakyRelu with alpha NaN']).toMatch(/attribute alpha is NaN; it must be a finite number/);
  });

  it('refuses a graph long in nodes, however cheap each is', () => {
    expect(outcome['4,997 chained Relu nodes']).toMatch(/the graph has 4,999 nodes; at most 1,000 are accepted/);
  });
});

describe('generated hostile models', () => {
  it('compile or are refused with a compiler error, and what compiles stays within the limits', () => {
    const compiled: GradientProgram[] = [];
    for (const arb of [arbModel, arbChainModel]) {
      fc.assert(fc.property(arb, (proto) => {
        const r = compile(encodeModelProto(proto));
        if (typeof r === 'string') return;
        bounded(r, LIMITS);
        compiled.push(r);
      }), { seed: 14, numRuns: 800 });
    }
    expect(compiled.length).toBeGreaterThan(50);
  });

  it('run in onnxruntime or fail there, and onnxruntime keeps working for the next model', async () => {
    const ort = await loadOrt();
    const programs = fc.sample(arbChainModel, { seed: 41, numRuns: 300 })
      .map((proto) => compile(encodeModelProto(proto)))
      .filter((p): p is GradientProgram => typeof p !== 'string');
    let ran = 0;
    let failed = 0;
    for (const p of programs) {
      const meta = programMeta(p);
      try {
        const runner = await createRunner(ort, encodeProgram(p, runnerOutputs(meta)), meta);
        const rows = runner.fixedBatch ?? 1;
        await runner.run(new Float32Array(rows * runner.sampleSize).fill(0.5), rows, new Float32Array(meta.units).fill(1));
        await runner.release();
        ran++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        failed++;
      }
    }
    expect(ran).toBeGreaterThanOrEqual(10);
    expect(failed).toBeGreaterThanOrEqual(10);
    // the shipped MLP still runs and gives its usual answer
    const mlp = compileGradient(new Uint8Array(readFileSync(new URL('../../../models/fashion-mlp.onnx', import.meta.url))));
    const runner = await createRunner(ort, encodeProgram(mlp, runnerOutputs(programMeta(mlp))), programMeta(mlp));
    const out = await runner.run(new Float32Array(784).fill(0.5), 1, Float32Array.from({ length: 10 }, (_, k) => (k === 7 ? 1 : 0)));
    expect(out.logits.every(Number.isFinite)).toBe(true);
    expect(out.grad.some((g) => g !== 0)).toBe(true);
    await runner.release();
  });
});
