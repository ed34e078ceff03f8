/**
 * models/priors/manifest.json describes the files: SHA-256, parameter count, input z [N, latent] and output image
 * [N, 28, 28], and onnxruntime-web decodes seeded codes to images inside the declared range.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../../functions/onnx/model.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import type { PriorEntry } from '../../../functions/registry/priors.js';
import { Rng } from '../helpers/random.js';
import { MODELS_DIR } from './paths.js';

const priors = (JSON.parse(readFileSync(`${MODELS_DIR}priors/manifest.json`, 'utf8')) as { priors: PriorEntry[] }).priors;

describe('image priors', () => {
  it('are fashion and digits', () => {
    expect(priors.map((p) => p.id)).toEqual(['fashion', 'digits']);
  });

  it.each(priors.map((p) => [p.id, p] as const))('%s: the manifest matches the file, and G(z) is an image in range', async (_id, p) => {
    const bytes = new Uint8Array(readFileSync(`${MODELS_DIR}priors/${p.file}`));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(p.sha256);
    const m = decodeModel(bytes);
    let params = 0;
    for (const t of m.graph.initializers.values()) if (t.dtype === 'float32') params += t.data.length;
    expect(params).toBe(p.parameters);
    expect(m.graph.inputs).toEqual([{ name: p.input.name, dtype: 'float32', shape: ['N', p.input.latent] }]);
    expect(m.graph.outputs).toEqual([{ name: p.output.name, dtype: 'float32', shape: ['N', ...p.output.shape] }]);
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const random = new Rng(3);
    const z = Float32Array.from({ length: 4 * p.input.latent }, () => 4 * random.next() - 2);
    const out = await session.run({ [p.input.name]: new ort.Tensor('float32', z, [4, p.input.latent]) });
    const image = out[p.output.name]!;
    expect(image.dims).toEqual([4, ...p.output.shape]);
    for (const v of image.data as Float32Array) expect(v >= p.output.min && v <= p.output.max).toBe(true);
    await session.release();
  });
});
