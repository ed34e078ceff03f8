/**
 * Which units of a model ever respond: the probe program (compiler/tensors.ts) run over a set of images gives,
 * per image and unit, the largest |value| of the unit; a unit whose response is 0 on every image is dead (a ReLU
 * that never opens on anything like these images), so maximizing it starts from a zero gradient almost surely.
 * Also kept per unit: the image it responds to most, a start from which its gradient is not zero.
 */
import type { Dim } from '../onnx/model.js';
import type { Ort } from './ort-types.js';

/** The probe's interface (compiler Probe without its graph). */
export interface ProbeMeta {
  input: { name: string; shape: Dim[] };
  tensors: { name: string; units: number }[];
  /** output name per tensor */
  outputs: string[];
}

export interface TensorActivity {
  name: string;
  /** per unit: on how many images it responded (|value| > 0 somewhere in the unit) */
  active: number[];
  /** per unit: the image with the largest response (-1 if none responded) */
  best: number[];
}

export interface Activity {
  /** how many images were run */
  images: number;
  tensors: TensorActivity[];
}

/** Units of a tensor that responded on none of the images. */
export const deadUnits = (t: TensorActivity): number[] => t.active.flatMap((n, u) => (n === 0 ? [u] : []));

/**
 * Runs the probe over `count` images; `fill(i, into, offset)` writes image i in the model's layout at `offset`.
 * Images go through in chunks of `chunk` (or of the model's fixed batch size, padded).
 */
export async function measureActivity(
  ort: Ort, bytes: Uint8Array, probe: ProbeMeta, count: number, fill: (i: number, into: Float32Array, offset: number) => void, chunk = 50,
): Promise<Activity> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: 'all' });
  try {
    const dims = probe.input.shape;
    const sampleDims = dims.slice(1) as number[];
    const size = sampleDims.reduce((a, b) => a * b, 1);
    const rows = typeof dims[0] === 'number' ? dims[0] : chunk;
    const tensors = probe.tensors.map((t) => ({ name: t.name, active: Array<number>(t.units).fill(0), best: Array<number>(t.units).fill(-1), top: new Float32Array(t.units) }));
    const x = new Float32Array(rows * size);
    for (let start = 0; start < count; start += rows) {
      const n = Math.min(rows, count - start);
      x.fill(0);
      for (let i = 0; i < n; i++) fill(start + i, x, i * size);
      const out = await session.run({ [probe.input.name]: new ort.Tensor('float32', x, [rows, ...sampleDims]) }, probe.outputs);
      probe.outputs.forEach((name, k) => {
        const r = out[name]!.data as Float32Array;
        const t = tensors[k]!;
        const units = t.active.length;
        for (let i = 0; i < n; i++) {
          for (let u = 0; u < units; u++) {
            const v = r[i * units + u]!;
            if (v > 0) t.active[u]!++;
            if (v > t.top[u]!) {
              t.top[u] = v;
              t.best[u] = start + i;
            }
          }
        }
      });
    }
    return { images: count, tensors: tensors.map(({ name, active, best }) => ({ name, active, best })) };
  } finally {
    await session.release();
  }
}
