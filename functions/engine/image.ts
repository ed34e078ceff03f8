/**
 * How a model's input tensor maps onto an image. Ascent works on one flat Float32Array per sample in the
 * model's own layout; this says where pixel (y, x, channel) lives in it, for regularizers, masks and encoders.
 */

export interface ImageLayout {
  height: number;
  width: number;
  channels: number;
  /** channels-last (NHWC) or channels-first (NCHW, or single channel) */
  channelsLast: boolean;
}

export const sampleSize = (l: ImageLayout) => l.height * l.width * l.channels;

/** Flat index of pixel (y, x) of channel c within one sample. */
export function at(l: ImageLayout, y: number, x: number, c: number): number {
  return l.channelsLast ? (y * l.width + x) * l.channels + c : (c * l.height + y) * l.width + x;
}
