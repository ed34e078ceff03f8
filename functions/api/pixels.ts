/**
 * Images a request brings, as 8-bit pixels in HWC order (how images travel in URLs and PNGs), checked against the
 * model's image shape: base64url pixels (`x`), a shipped test image (`sample`), a PNG body. Then the conversion to
 * the model's layout and value range. Maximize start points and predict inputs both come through here.
 */
import { at, sampleSize, type ImageLayout } from '../engine/image.js';
import { decodePng } from '../encode/png.js';
import type { Samples } from '../registry/samples.js';
import { decodeBase64Url } from './params/base64url.js';
import { ApiProblem, PROBLEM } from './problem.js';

const shapeText = (l: ImageLayout) => `${l.height}x${l.width}${l.channels > 1 ? `x${l.channels}` : ''}`;

/** Pixels given in the URL (`x`, base64url), exactly one image of the model's shape. */
export function urlPixels(x: string, layout: ImageLayout): Uint8Array {
  const bytes = decodeBase64Url(x, 'x');
  const size = sampleSize(layout);
  if (bytes.length !== size) {
    throw new ApiProblem(400, PROBLEM.badImage,
      `Parameter "x" must hold ${size} bytes (${shapeText(layout)} 8-bit pixels, row-major), got ${bytes.length}.`, { parameter: 'x' });
  }
  return bytes;
}

/** Shipped test image `index`, when the deployment ships test images of the model's shape. */
export function samplePixels(samples: Samples | undefined, index: number, layout: ImageLayout, model: string): Uint8Array {
  if (!samples || samples.height !== layout.height || samples.width !== layout.width || layout.channels !== 1) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      samples
        ? `The shipped test images are ${samples.height}x${samples.width} gray; ${model} takes ${shapeText(layout)}. Pass the image in "x" instead.`
        : 'This deployment ships no test images. Pass the image in "x" instead.',
      { parameter: 'sample' });
  }
  if (index >= samples.count) {
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" must be < ${samples.count} (got ${index}).`,
      { parameter: 'sample', allowed: { minimum: 0, maximum: samples.count - 1 } });
  }
  const size = samples.height * samples.width;
  return samples.pixels.subarray(index * size, (index + 1) * size);
}

/** A PNG body of the model's image size (colour to gray by luminance, gray to colour by copy). */
export function pngPixels(bytes: Uint8Array, layout: ImageLayout, model: string): Uint8Array {
  let raster;
  try {
    raster = decodePng(bytes, 4096 * 4096);
  } catch (e) {
    throw new ApiProblem(400, PROBLEM.badImage, `The request body is not a usable PNG: ${(e as Error).message}.`);
  }
  if (raster.width !== layout.width || raster.height !== layout.height) {
    throw new ApiProblem(400, PROBLEM.badImage, `The PNG is ${raster.width}x${raster.height}; ${model} takes ${layout.width}x${layout.height} images.`);
  }
  const n = layout.width * layout.height;
  const out = new Uint8Array(n * layout.channels);
  for (let i = 0; i < n; i++) {
    if (layout.channels === 1) {
      // ITU-R BT.601 luma
      out[i] = raster.channels === 1 ? raster.data[i]! : Math.round(0.299 * raster.data[3 * i]! + 0.587 * raster.data[3 * i + 1]! + 0.114 * raster.data[3 * i + 2]!);
    } else {
      for (let k = 0; k < 3; k++) out[3 * i + k] = raster.channels === 1 ? raster.data[i]! : raster.data[3 * i + k]!;
    }
  }
  return out;
}

/** 8-bit HWC pixels to the model's layout and value range: v = min + (p / 255)(max − min). */
export function pixelsToInput(pixels: Uint8Array, layout: ImageLayout, grid: { min: number; max: number }): Float32Array {
  const { height, width, channels } = layout;
  const out = new Float32Array(sampleSize(layout));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        out[at(layout, y, x, c)] = grid.min + (pixels[(y * width + x) * channels + c]! / 255) * (grid.max - grid.min);
      }
    }
  }
  return out;
}
