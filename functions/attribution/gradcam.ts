/**
 * Grad-CAM (Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra 2017) on a feature map A [K, h, w] of the model:
 *   alpha_k = (1 / hw) sum_ij d score / d A_kij        (global-average-pooled gradients)
 *   L = ReLU(sum_k alpha_k A_k)                         (only what speaks for the class)
 * then upsampled bilinearly to the input size. The runner's program is compiled with the layer as its `wrt`
 * tensor (one run: the layer's value and the gradient on it). The layer is read as ONNX lays feature maps out,
 * [N, C, H, W].
 */
import type { GradientRunner } from '../engine/runner.js';
import { resizeBilinear } from './bilinear.js';
import { AttributionError, type Attribution, type AttributionInput } from './types.js';

export async function gradcam(runner: GradientRunner, input: AttributionInput): Promise<Attribution> {
  const layer = runner.meta.wrt?.[0];
  if (!layer) throw new Error('gradcam needs a program compiled with the layer as its wrt tensor');
  const shape = layer.shape;
  const [, k, h, w] = (shape ?? []) as number[];
  if (!shape || shape.length !== 4 || ![k, h, w].every((d) => typeof d === 'number')) {
    throw new AttributionError(`Grad-CAM needs a spatial feature map [N, C, H, W]; "${layer.tensor}" has shape [${(shape ?? []).join(', ')}]`, 'layer');
  }
  if (h! * w! < 2) throw new AttributionError(`Grad-CAM needs a feature map with a spatial extent; "${layer.tensor}" is ${h}x${w}`, 'layer');
  const out = await runner.run(input.x, 1, input.weights);
  const { value: a, grad: g } = out.wrt[0]!;
  const area = h! * w!;
  const alpha = new Float32Array(k!);
  for (let c = 0; c < k!; c++) {
    let s = 0;
    for (let i = 0; i < area; i++) s += g[c * area + i]!;
    alpha[c] = s / area;
  }
  const cam = new Float32Array(area);
  for (let c = 0; c < k!; c++) for (let i = 0; i < area; i++) cam[i]! += alpha[c]! * a[c * area + i]!;
  for (let i = 0; i < area; i++) cam[i] = Math.max(0, cam[i]!);
  const values = resizeBilinear(cam, h!, w!, input.layout.height, input.layout.width);
  return {
    method: 'gradcam', values, perPixel: true, signed: false, logits: out.logits, score: out.objective[0]!,
    cam: { layer: layer.tensor, height: h!, width: w!, values: cam, channelWeights: alpha },
    rows: 1,
  };
}
