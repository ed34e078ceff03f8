/**
 * An onnxruntime runner kept in an isolate's program map (bounded-map.ts): its session opens on first use and is
 * released when the map evicts it and no request uses it; its size counts the program's bytes and, once the
 * session is open, onnxruntime's copy of the weights. Shared by the input-gradient programs (programs.ts) and
 * Grad-CAM's layer programs (layer-programs.ts).
 */
import type { ProgramMeta } from '../compiler/index.js';
import type { GradientRunner } from '../engine/runner.js';
import { batchShape } from '../engine/session.js';
import { idleRelease, type Kept } from './bounded-map.js';

export interface KeptRunner extends GradientRunner, Kept {
  /** runs `work` on the open session (opening it if needed), holding it open until `work` is done */
  use<T>(work: (runner: GradientRunner) => Promise<T>): Promise<T>;
}

export function keptRunner(open: () => Promise<GradientRunner>, bytes: Uint8Array, meta: ProgramMeta): KeptRunner {
  const session = idleRelease(open);
  const { sampleSize, fixedBatch } = batchShape(meta);
  return {
    meta,
    sampleSize,
    classes: meta.classes,
    fixedBatch,
    use: (work) => session.use(work),
    run: (x, n, w) => session.use((r) => r.run(x, n, w)),
    exclusive: (work) => session.use((r) => r.exclusive(work)),
    release: () => session.release(),
    bytes: () => bytes.byteLength + (session.opened() ? 2 * meta.memory.weightBytes : 0),
  };
}
