/**
 * The size of a result before it is made, and the memory of making it: the pixels of a PNG or GIF (one image or
 * the grid of all restarts, laid out as encode/raster.ts `tile` does) and the numbers of a JSON document. The
 * response limit and the rendering part of the memory estimate both start from these.
 */

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Width and height of `images` images enlarged `scale` times in a ceil(sqrt(n))-column grid, `gap` pixels apart
 * (default max(2, scale), the restarts' grid); one image is not tiled.
 */
export function gridSide(image: ImageShape, images: number, scale: number, gap = Math.max(2, scale)): { width: number; height: number } {
  const columns = Math.ceil(Math.sqrt(images));
  const rows = Math.ceil(images / columns);
  if (images <= 1) gap = 0;
  return { width: columns * image.width * scale + (columns - 1) * gap, height: rows * image.height * scale + (rows - 1) * gap };
}

/** Size and memory of one rendered output. */
export interface Rendered {
  /** bytes of the response body, at most */
  responseBytes: number;
  /** bytes held while it is made */
  memoryBytes: number;
}

/**
 * A PNG of `pixels` pixels of `channels` bytes: the enlarged tiles, the grid, and the encoder's filtered rows and
 * output, about 3 copies of the raster at once. The body is at most the raster (plus deflate's 5 bytes per
 * stored block of 64 KiB and the chunks' headers).
 */
export function pngOutput(pixels: number, channels: number): Rendered {
  const raw = pixels * channels;
  return { responseBytes: Math.ceil(raw * 1.001) + 1024, memoryBytes: 3 * raw };
}

/**
 * A GIF of `frames` frames of `pixels` palette indices: every frame is held until the encoder runs, and LZW codes
 * of up to 12 bits can take 1.5 bytes per pixel on noise.
 */
export function gifOutput(frames: number, pixels: number): Rendered {
  return { responseBytes: Math.ceil(1.5 * frames * pixels) + 4096, memoryBytes: Math.ceil(3.5 * frames * pixels) };
}

/**
 * A JSON document of `numbers` numbers: about 12 characters each once written (7 significant digits, sign,
 * exponent, comma), and while the object is built each is a JavaScript value too (an array slot and a heap
 * number: 24 bytes at most), then the text (2 bytes per character at most while it is a string).
 */
export function jsonOutput(numbers: number): Rendered {
  return { responseBytes: 12 * numbers + 4096, memoryBytes: 24 * numbers + 2 * 12 * numbers };
}

export interface MaximizeJson {
  /** samples listed in full: the best one, plus every restart with pick=all */
  samples: number;
  /** restarts listed by their scores only */
  summaries: number;
  classes: number;
  /** values of one image */
  size: number;
  steps: number;
  /** values of a prior's code z per sample (0 without a prior) */
  latent: number;
}

/**
 * Numbers in a JSON maximize result (maximize/render.ts renderJson): per sample listed in full its probabilities
 * and logits, its image values and levels, its code z, its trace (objective and probability per step and the
 * start), a few scalars; per summary two.
 */
export function maximizeJsonNumbers(o: MaximizeJson): number {
  return o.samples * (2 * o.classes + 2 * o.size + o.latent + 2 * (o.steps + 1) + 8) + 2 * o.summaries;
}
