/**
 * What the onnxruntime-backed runners (runner.ts, forward.ts, decoder.ts) share: how a session is opened, the
 * per-sample shape of a program's input, and one call at a time per session.
 */
import type { ProgramMeta } from '../compiler/index.js';
import type { Ort, OrtSession } from './ort-types.js';

/** An onnxruntime session for ONNX bytes: warnings silenced, every graph optimization on. */
export function openSession(ort: Ort, bytes: Uint8Array): Promise<OrtSession> {
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'all' });
}

export interface BatchShape {
  /** the input's dimensions after the batch axis */
  sampleDims: number[];
  /** elements per sample */
  sampleSize: number;
  /** fixed batch size of the model, or null when the batch is dynamic */
  fixedBatch: number | null;
}

export function batchShape(program: ProgramMeta): BatchShape {
  const dims = program.input.shape;
  const sampleDims = dims.slice(1) as number[];
  return {
    sampleDims,
    sampleSize: sampleDims.reduce((a, b) => a * b, 1),
    fixedBatch: typeof dims[0] === 'number' ? dims[0] : null,
  };
}

/**
 * Calls queued one after another: each `work` starts when the one before has settled (resolved or failed).
 * Concurrent requests of an isolate interleave at every await; a session must never run two calls at once.
 */
export function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const turn = queue.then(work, work);
    queue = turn.catch(() => undefined);
    return turn;
  };
}
