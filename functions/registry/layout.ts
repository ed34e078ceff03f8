/**
 * Recognizing how an uploaded model's input tensor holds an image, from its shape (batch axis first):
 *   [N, H, W]        gray, row-major                      (Keras Input(shape=(H, W)))
 *   [N, 1, H, W]     gray, channels first                 (PyTorch)
 *   [N, H, W, 1]     gray, channels last                  (Keras Conv2D)
 *   [N, H*W]         gray, flattened; H = W = sqrt        (MLPs)
 *   [N, 3, H, W]     colour, channels first
 *   [N, H, W, 3]     colour, channels last
 * N may be symbolic (any batch) or fixed (1, 10, ...).
 */
import type { ImageLayout } from '../engine/image.js';
import type { Dim } from '../onnx/model.js';

export const MAX_SIDE = 128;

export interface RecognizedLayout {
  /** how the layout is called in responses */
  name: 'HW' | 'CHW' | 'HWC' | 'flat';
  layout: ImageLayout;
  /** the image shape users think in: [H, W] or [H, W, 3] */
  imageShape: number[];
  /** fixed batch size, or null for a dynamic batch */
  batch: number | null;
}

export type Recognition = { ok: true; value: RecognizedLayout } | { ok: false; reason: string };

const fmt = (s: readonly Dim[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;

export function recognizeLayout(shape: readonly Dim[]): Recognition {
  const batch = typeof shape[0] === 'number' ? shape[0] : null;
  const rest = shape.slice(1);
  const expected = 'Ascent recognizes [N, H, W], [N, 1, H, W], [N, H, W, 1], [N, H*W] (square), [N, 3, H, W] and [N, H, W, 3]';
  if (rest.some((d) => typeof d !== 'number' || d <= 0)) {
    return { ok: false, reason: `the input shape ${fmt(shape)} has unknown image dimensions; ${expected} with fixed H and W` };
  }
  const d = rest as number[];
  let r: RecognizedLayout | undefined;
  const gray = (height: number, width: number, name: RecognizedLayout['name'], channelsLast = false): RecognizedLayout => ({
    name, layout: { height, width, channels: 1, channelsLast }, imageShape: [height, width], batch,
  });
  const colour = (height: number, width: number, channelsLast: boolean): RecognizedLayout => ({
    name: channelsLast ? 'HWC' : 'CHW', layout: { height, width, channels: 3, channelsLast }, imageShape: [height, width, 3], batch,
  });
  if (d.length === 1) {
    const side = Math.round(Math.sqrt(d[0]!));
    if (side * side === d[0]) r = gray(side, side, 'flat');
  } else if (d.length === 2) {
    r = gray(d[0]!, d[1]!, 'HW');
  } else if (d.length === 3) {
    if (d[0] === 1) r = gray(d[1]!, d[2]!, 'CHW');
    else if (d[2] === 1) r = gray(d[0]!, d[1]!, 'HWC', true);
    else if (d[0] === 3) r = colour(d[1]!, d[2]!, false);
    else if (d[2] === 3) r = colour(d[0]!, d[1]!, true);
  }
  if (!r) return { ok: false, reason: `the input shape ${fmt(shape)} is not an image layout; ${expected}` };
  const { height, width } = r.layout;
  if (height > MAX_SIDE || width > MAX_SIDE) {
    return { ok: false, reason: `the input image is ${height}x${width}; Ascent accepts images up to ${MAX_SIDE}x${MAX_SIDE}` };
  }
  return { ok: true, value: r };
}
