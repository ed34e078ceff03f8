/**
 * The forward pass alone: a gradient program encoded with only its logits output (encodeProgram(p, [logits]))
 * keeps the model's nodes up to the logits and none of the backward ones. Batches larger than a model's fixed
 * batch size are run in chunks of that size, the last one padded with zero rows.
 */
import type { ProgramMeta } from '../compiler/index.js';
import type { Forward } from '../exemplars/scores.js';
import type { Ort } from './ort-types.js';
import { batchShape, openSession, serialQueue } from './session.js';

export interface ForwardRunner extends Forward {
  /** one computation at a time per session (see GradientRunner.exclusive) */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  release(): Promise<void>;
}

export async function createForward(ort: Ort, bytes: Uint8Array, program: ProgramMeta): Promise<ForwardRunner> {
  const session = await openSession(ort, bytes);
  const { sampleDims, sampleSize: size, fixedBatch: fixed } = batchShape(program);
  const classes = program.classes;
  // the weights input is still declared by the program; nothing computed here reads it
  const weights = new ort.Tensor('float32', new Float32Array(program.units), [1, program.units]);
  const input = session.inputNames.includes(program.weights) ? { [program.weights]: weights } : {};
  return {
    classes,
    exclusive: serialQueue(),
    release: () => session.release(),
    async logits(x, n) {
      const out = new Float32Array(n * classes);
      const chunk = fixed ?? n;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        const xb = new Float32Array(chunk * size);
        xb.set(x.subarray(start * size, (start + count) * size));
        const r = await session.run({ ...input, [program.input.name]: new ort.Tensor('float32', xb, [chunk, ...sampleDims]) }, [program.outputs.logits]);
        out.set((r[program.outputs.logits]!.data as Float32Array).subarray(0, count * classes), start * classes);
      }
      return out;
    },
  };
}
