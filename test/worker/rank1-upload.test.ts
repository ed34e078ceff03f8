/**
 * Uploads whose class scores have rank 1: PyTorch exports with a fixed batch of 1 that end in `view(-1)` give
 * [10], not [1, 10]. Uploaded as they are, they are admitted and every target (logit, logprob, prob) maximizes
 * a class; predict reads them too. Fixtures: test/fixtures/torch (export_rank1.py).
 */
import { describe, expect, it } from 'vitest';
import logitsBytes from '../fixtures/torch/rank1-logits.onnx';
import softmaxBytes from '../fixtures/torch/rank1-softmax.onnx';
import { get, getJson, type MaximizeJson } from './helpers.js';

const upload = async (bytes: ArrayBuffer, title: string) => {
  const r = await get(`/api/v1/models?title=${title}`, { method: 'POST', body: new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } });
  const info = (await r.json()) as { id: string; input: { shape: number[] }; recognized: { batch: number | string }; classes: number; detail?: string };
  expect(r.status, info.detail).toBe(201);
  return info;
};

describe('an upload whose class scores have shape [10]', () => {
  it.each([
    ['ending in the logits', logitsBytes],
    ['ending in a softmax over dim 0', softmaxBytes],
  ] as const)('%s: admitted, maximized for every target, predicted', async (title, bytes) => {
    const info = await upload(bytes, encodeURIComponent(title));
    expect(info.recognized.batch).toBe(1);
    for (const target of ['logit', 'logprob', 'prob']) {
      const j = await getJson<MaximizeJson>(`/api/v1/maximize?model=${info.id}&class=3&target=${target}&format=json`);
      expect(j.probabilities, target).toHaveLength(10);
      expect(j.predicted.class, `${title}, target=${target}: ${j.probabilities.map((p) => p.toFixed(3))}`).toBe(3);
      expect(j.probability!, target).toBeGreaterThanOrEqual(0.9);
      const png = await get(`/api/v1/maximize?model=${info.id}&class=7&target=${target}`);
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      await png.arrayBuffer();
    }
    const p = await getJson<{ probabilities: number[]; predicted: { class: number } }>(`/api/v1/predict?model=${info.id}&sample=0`);
    expect(p.probabilities).toHaveLength(10);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });
});
