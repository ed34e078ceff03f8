/**
 * Runs an exported classifier with onnxruntime-web (the runtime Ascent serves with) in Node: probabilities for a
 * batch of images, and accuracy on a split.
 */
import * as ort from 'onnxruntime-web';
import { HEIGHT, PIXELS, WIDTH, toFloats, type Split } from './data.js';

ort.env.wasm.numThreads = 1;

export async function createSession(onnxBytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnxBytes);
}

/** Probabilities [n, classes] (row-major) for `n` images given as floats in [0, 1]. */
export async function probabilities(session: ort.InferenceSession, pixels: Float32Array, n: number): Promise<Float32Array> {
  if (pixels.length !== n * PIXELS) throw new Error(`expected ${n * PIXELS} pixel values, got ${pixels.length}`);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const feeds = { [inputName]: new ort.Tensor('float32', pixels, [n, HEIGHT, WIDTH]) };
  const result = await session.run(feeds);
  const out = result[outputName];
  if (!out) throw new Error(`the model produced no output ${outputName}`);
  return out.data as Float32Array;
}

/** Index of the largest value in each row (the first one on ties). */
export function argmaxRows(values: Float32Array, columns: number): Uint8Array {
  const rows = values.length / columns;
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < columns; c++) if (values[r * columns + c]! > values[r * columns + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Number of images of the split that the model classifies correctly. */
export async function correctCount(session: ort.InferenceSession, split: Split, batchSize = 1000): Promise<number> {
  let correct = 0;
  for (let start = 0; start < split.count; start += batchSize) {
    const n = Math.min(batchSize, split.count - start);
    const probs = await probabilities(session, toFloats(split, start, n), n);
    const predicted = argmaxRows(probs, probs.length / n);
    for (let i = 0; i < n; i++) if (predicted[i] === split.labels[start + i]) correct++;
  }
  return correct;
}
