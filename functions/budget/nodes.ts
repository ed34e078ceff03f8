/**
 * What a program's nodes cost beyond its arithmetic: every node is a call with its own overhead on every run, and
 * onnxruntime spends time per node when it opens a session. A graph that is long in nodes and cheap in FLOPs (a
 * chain of a thousand element-wise ops) costs seconds that the FLOP model of cpu.ts does not see.
 *
 * Measured 2026-12-01 in Node (onnxruntime-web 1.30 wasm, one thread; Ascent's kernel) on chains of 100-998
 * element-wise ops (Relu, Elu, Selu, Softsign) on a 28x28 image, whose gradient programs have 300-6,000 nodes:
 * onnxruntime 4.5-13 us per node per run and 1-3.7 ms per node to open the session (growing with the nodes);
 * the kernel 0.14-0.4 us per node per run. Rounded up here.
 */
import type { EngineName } from '../registry/types.js';
import type { CpuModel, CpuModels } from './cpu.js';

/** ms per program node per run, on each engine */
export const NODE_RUN_MS: Record<EngineName, number> = { kernel: 0.0005, onnxruntime: 0.015 };
/** ms per program node to open an onnxruntime session */
export const NODE_SESSION_MS = 4;
/** nodes already inside cpu.ts's per-run cost (the programs it was fitted on have 17-60) */
export const FITTED_NODES = 64;

/** The CPU model of `engine` for a program of `nodes` nodes: each run costs its nodes beyond the fitted ones too. */
export function withNodes(models: CpuModels, nodes: number, engine: EngineName): CpuModel {
  const m = models[engine];
  return { ...m, perRunMs: m.perRunMs + Math.max(0, nodes - FITTED_NODES) * NODE_RUN_MS[engine] };
}

/** ms to open an onnxruntime session of a program of `nodes` nodes. */
export const sessionCpuMs = (nodes: number): number => nodes * NODE_SESSION_MS;
