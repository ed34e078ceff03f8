/**
 * Bilinear resampling of a single-channel map with half-pixel centres (OpenCV's resize, PyTorch's
 * interpolate(align_corners=False), ONNX Resize "half_pixel"): output pixel (y, x) samples the source at
 * ((y + 0.5) * h / H - 0.5, (x + 0.5) * w / W - 0.5), clamped to the edge.
 */
export function resizeBilinear(src: Float32Array, h: number, w: number, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width);
  const sy = h / height;
  const sx = w / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const dy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const dx = fx - x0;
      const top = src[y0 * w + x0]! * (1 - dx) + src[y0 * w + x1]! * dx;
      const bottom = src[y1 * w + x0]! * (1 - dx) + src[y1 * w + x1]! * dx;
      out[y * width + x] = top * (1 - dy) + bottom * dy;
    }
  }
  return out;
}
