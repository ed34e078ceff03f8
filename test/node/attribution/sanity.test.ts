/**
 * Sanity checks for saliency maps (Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim 2018): a map that explains
 * the model must change when the model's weights are randomized. For 10 test images (the first of each class), the
 * Spearman rank correlation of |map| between the trained model and the model with a layer re-initialized (Keras's
 * fresh-layer initialization, seeded) is averaged:
 *   gradient, smoothgrad with the last (logit) layer randomized: below 0.5 on both models;
 *   gradcam with the last convolution randomized (fashion-cnn): below 0.5;
 *   gradxinput and integrated (black baseline) stay near 0.9 under the same randomization: multiplied by the input,
 *   they keep the input's shape whatever the weights (as Adebayo et al. report for gradient x input). Measured
 *   0.85-0.87; the test holds them above 0.75 so the documentation's warning stays true.
 */
import { describe, expect, it } from 'vitest';
import type { MethodName } from '../../../functions/attribution/index.js';
import { abs, explain, modelBytes, randomized, runnerFor, spearman, testImage, TEN_IMAGES } from '../helpers/attribution.js';

const LAST_LAYER = { kernel: 'dense_1/kernel', bias: 'dense_1/bias' };
const LAST_CONV = { kernel: 'conv2d/kernel', bias: 'conv2d/bias' };

async function meanCorrelation(id: string, layers: { kernel: string; bias: string }[], methods: MethodName[]): Promise<Record<string, number>> {
  const bytes = modelBytes(id);
  const changed = randomized(bytes, layers, 2018);
  const kind = methods.includes('gradcam') ? 'gradcam' : 'input';
  const [trained, random] = [await runnerFor(bytes, kind), await runnerFor(changed, kind)];
  const out: Record<string, number> = {};
  for (const method of methods) {
    let sum = 0;
    for (const i of TEN_IMAGES) {
      const { x, label } = testImage(i);
      const a = await explain(trained, x, label, { method });
      const b = await explain(random, x, label, { method });
      sum += spearman(abs(a.values), abs(b.values));
    }
    out[method] = sum / TEN_IMAGES.length;
  }
  await Promise.all([trained.release(), random.release()]);
  return out;
}

describe('sanity checks (Adebayo et al. 2018): maps under model randomization', () => {
  it.each(['fashion-mlp', 'fashion-cnn'])('%s, logit layer randomized: gradient and smoothgrad change, gradxinput and integrated keep the input shape', async (id) => {
    const r = await meanCorrelation(id, [LAST_LAYER], ['gradient', 'smoothgrad', 'gradxinput', 'integrated']);
    expect(r.gradient, JSON.stringify(r)).toBeLessThan(0.5);
    expect(r.smoothgrad, JSON.stringify(r)).toBeLessThan(0.5);
    expect(r.gradxinput, JSON.stringify(r)).toBeGreaterThan(0.75);
    expect(r.integrated, JSON.stringify(r)).toBeGreaterThan(0.75);
  });

  it('fashion-cnn, last convolution randomized: gradcam changes', async () => {
    const r = await meanCorrelation('fashion-cnn', [LAST_CONV], ['gradcam']);
    expect(r.gradcam, JSON.stringify(r)).toBeLessThan(0.5);
  });
});
