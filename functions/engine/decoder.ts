/**
 * Runs a prior's generator G (ONNX: z [N, latent] -> image [N, ...]) with onnxruntime, and maps its output range
 * onto a model's pixel range: x = min + (max - min) * (G(z) - gmin) / (gmax - gmin), the same affine map the
 * composed gradient program applies (compiler/prior.ts).
 */
import type { Ort } from './ort-types.js';
import { openSession, serialQueue } from './session.js';

export interface Decoder {
  latent: number;
  /** images of `n` codes, mapped onto [min, max] (fresh array) */
  decode(z: Float32Array, n: number, range: { min: number; max: number }): Promise<Float32Array>;
  release(): Promise<void>;
}

export interface DecoderSpec {
  input: string;
  output: string;
  latent: number;
  /** G's output range */
  min: number;
  max: number;
}

export async function createDecoder(ort: Ort, bytes: Uint8Array, spec: DecoderSpec): Promise<Decoder> {
  const session = await openSession(ort, bytes);
  const exclusive = serialQueue();
  return {
    latent: spec.latent,
    release: () => session.release(),
    decode(z, n, range) {
      const run = async () => {
        const out = await session.run({ [spec.input]: new ort.Tensor('float32', z, [n, spec.latent]) }, [spec.output]);
        const g = out[spec.output]!.data as Float32Array;
        const a = (range.max - range.min) / (spec.max - spec.min);
        const x = new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) x[i] = range.min + a * (g[i]! - spec.min);
        return x;
      };
      return exclusive(run);
    },
  };
}
