/**
 * models/manifest.json tells the truth about the files: sha256, parameter count, tensor names, and the test
 * accuracy as onnxruntime-web measures it on all 10,000 test images.
 */
import * as ort from 'onnxruntime-web';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../../functions/onnx/model.js';
import { HEIGHT, LABELS, WIDTH, loadTestSplit, toFloats } from '../../../models/train/data.js';
import { MODELS_DIR, MODEL_IDS, manifestEntries } from './paths.js';

ort.env.wasm.numThreads = 1;

const MIN_ACCURACY: Record<string, number> = { 'fashion-mlp': 0.88, 'fashion-cnn': 0.91 };

describe('models/manifest.json', () => {
  const entries = manifestEntries();

  it('lists both models with the Fashion-MNIST labels', () => {
    expect(entries.map((e) => e.id)).toEqual([...MODEL_IDS]);
    for (const e of entries) {
      expect(e.labels).toEqual([...LABELS]);
      expect(e.file).toBe(`${e.id}.onnx`);
      expect(e.input).toEqual({ name: 'input', shape: [28, 28], min: 0, max: 1 });
      expect(e.output).toEqual({ name: 'probabilities', kind: 'probabilities' });
      expect(e.training.trainImages).toBe(60000);
      expect(e.training.testImages).toBe(10000);
    }
  });

  for (const id of MODEL_IDS) {
    describe(id, () => {
      const entry = () => {
        const e = entries.find((m) => m.id === id);
        if (!e) throw new Error(`no manifest entry for ${id}`);
        return e;
      };
      const bytes = () => readFileSync(`${MODELS_DIR}${entry().file}`);

      it('sha256 matches the file', () => {
        expect(createHash('sha256').update(bytes()).digest('hex')).toBe(entry().sha256);
      });

      it('parameter count matches the float initializers; names match the graph', () => {
        const model = decodeModel(bytes());
        let params = 0;
        for (const t of model.graph.initializers.values()) if (t.dtype === 'float32') params += t.data.length;
        expect(params).toBe(entry().parameters);

        expect(model.opsets.get('')).toBe(13);
        expect([7, 8]).toContain(model.irVersion);
        expect(model.graph.inputs).toEqual([{ name: entry().input.name, dtype: 'float32', shape: ['N', 28, 28] }]);
        expect(model.graph.outputs).toEqual([{ name: entry().output.name, dtype: 'float32', shape: ['N', 10] }]);
        const softmax = model.graph.nodes.find((n) => n.outputs.includes(entry().output.name));
        expect(softmax?.opType).toBe('Softmax');
        expect(softmax?.inputs).toEqual([entry().logits]);
        expect(model.graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
      });

      it('accuracy is what onnxruntime-web measures on the 10,000 test images', async () => {
        const test = loadTestSplit();
        expect(test.count).toBe(10000);
        const session = await ort.InferenceSession.create(bytes());
        let correct = 0;
        const batch = 1000;
        for (let start = 0; start < test.count; start += batch) {
          const out = await session.run({ input: new ort.Tensor('float32', toFloats(test, start, batch), [batch, HEIGHT, WIDTH]) });
          const p = out['probabilities']!.data as Float32Array;
          for (let i = 0; i < batch; i++) {
            let best = 0;
            for (let c = 1; c < 10; c++) if (p[i * 10 + c]! > p[i * 10 + best]!) best = c;
            if (best === test.labels[start + i]) correct++;
          }
        }
        await session.release();
        const accuracy = correct / test.count;
        expect(Math.abs(accuracy - entry().accuracy)).toBeLessThanOrEqual(1e-9);
        expect(accuracy).toBeGreaterThanOrEqual(MIN_ACCURACY[id]!);
      });
    });
  }
});
