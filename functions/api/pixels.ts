/**
 * Images a request brings, as 8-bit pixels in HWC order (how images travel in URLs and PNGs), checked against the
 * model's image shape: base64url pixels (`x`), a shipped test image (`sample`), a PNG body. Then the conversion to
 * the model's layout and value range. Maximize start points and predict inputs both come through here.
 */
import { at, sampleSize, type ImageLayout } from '../engine/image.js';
import { decodePng, readPngHeader } from '../encode/png.js';
import type { Raster } from '../encode/raster.js';
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

/** Whether the shipped test images fit a model: its image size (gray, or colour filled with the gray value). */
export const samplesFit = (samples: Samples, layout: ImageLayout): boolean =>
  samples.height === layout.height && samples.width === layout.width;

/** Shipped test image `index` in HWC order with the layout's channels (gray copied into each colour channel). */
export function sampleImage(samples: Samples, index: number, layout: ImageLayout): Uint8Array {
  const size = samples.height * samples.width;
  const gray = samples.pixels.subarray(index * size, (index + 1) * size);
  if (layout.channels === 1) return gray;
  const out = new Uint8Array(size * layout.channels);
  for (let i = 0; i < size; i++) out.fill(gray[i]!, i * layout.channels, (i + 1) * layout.channels);
  return out;
}

/** Shipped test image `index`, when the deployment ships test images of the model's size. */
export function samplePixels(samples: Samples | undefined, index: number, layout: ImageLayout, model: string): Uint8Array {
  if (!samples || !samplesFit(samples, layout)) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      samples
        ? `The shipped test images are ${samples.height}x${samples.width}; ${model} takes ${shapeText(layout)}. Pass the image in "x" instead.`
        : 'This deployment ships no test images. Pass the image in "x" instead.',
      { parameter: 'sample' });
  }
  if (index >= samples.count) {
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" must be < ${samples.count} (got ${index}).`,
      { parameter: 'sample', allowed: { minimum: 0, maximum: samples.count - 1 } });
  }
  return sampleImage(samples, index, layout);
}

/**
 * The image a GET names: a shipped test image (`sample`) or pixels in the URL (`x`), exactly one of the two
 * (`orPng`: the endpoint also takes a PNG body, and the message says so).
 */
export function queryPixels(samples: Samples | undefined, q: { sample?: number | undefined; x?: string | undefined }, layout: ImageLayout, model: string, orPng = false): Uint8Array {
  if ((q.sample === undefined) === (q.x === undefined)) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      `Give exactly one of "sample" (a test image index) or "x" (base64url pixels)${orPng ? ', or POST a PNG' : ''}.`, { parameter: q.x === undefined ? 'sample' : 'x' });
  }
  return q.sample !== undefined ? samplePixels(samples, q.sample, layout, model) : urlPixels(q.x!, layout);
}

/**
 * Shrinks a raster by an integer factor k, each k x k block to its mean: undoes the nearest-neighbour enlargement
 * of the API's own PNGs (scale=k) exactly.
 */
function shrink(r: Raster, k: number): Raster {
  if (k === 1) return r;
  const width = r.width / k;
  const height = r.height / k;
  const data = new Uint8Array(width * height * r.channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < r.channels; c++) {
        let sum = 0;
        for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) sum += r.data[((y * k + dy) * r.width + x * k + dx) * r.channels + c]!;
        data[(y * width + x) * r.channels + c] = Math.round(sum / (k * k));
      }
    }
  }
  return { width, height, channels: r.channels, data };
}

/** The largest enlargement of a result PNG that predict shrinks back (maximize's largest scale). */
const MAX_SHRINK = 32;

/**
 * A PNG body of the model's image size, or an integer multiple of it (a result PNG, enlarged by `scale`, is shrunk
 * back); colour to gray by luminance, gray to colour by copy.
 */
export function pngPixels(bytes: Uint8Array, layout: ImageLayout, model: string): Uint8Array {
  let decoded;
  try {
    // the header's size is checked (the model's size or a whole multiple, at most MAX_SHRINK) before anything is inflated
    const { width, height } = readPngHeader(bytes);
    const k = width / layout.width;
    if (!Number.isInteger(k) || k < 1 || k > MAX_SHRINK || height !== k * layout.height) {
      throw new ApiProblem(400, PROBLEM.badImage,
        `The PNG is ${width}x${height}; ${model} takes ${layout.width}x${layout.height} images, or a whole multiple of that size up to ${MAX_SHRINK}x (a maximize result with scale=k is shrunk back; with scale=1 it is the model's size).`);
    }
    decoded = decodePng(bytes, width * height);
  } catch (e) {
    if (e instanceof ApiProblem) throw e;
    throw new ApiProblem(400, PROBLEM.badImage, `The request body is not a usable PNG: ${(e as Error).message}.`);
  }
  // a result of this API says how it was rendered: only the image itself, in gray, is an input again
  const made = /^\/api\/v1\/maximize\?(.*)$/.exec(decoded.text.Comment ?? '');
  if (made) {
    const params = new URLSearchParams(made[1]);
    const changed = [
      ...(params.get('view') === 'delta' ? ['view=delta (a difference image)'] : []),
      ...(params.get('colormap') && params.get('colormap') !== 'gray' && layout.channels === 1 ? [`colormap=${params.get('colormap')} (false colours)`] : []),
      ...(params.get('pick') === 'all' && Number(params.get('restarts') ?? 1) > 1 ? ['pick=all (a grid of several images)'] : []),
    ];
    if (changed.length) {
      throw new ApiProblem(400, PROBLEM.badImage, `This PNG is a maximize result rendered with ${changed.join(' and ')}, not an input image; request it with view=image, colormap=gray and pick=best to post it here.`);
    }
  }
  const k = decoded.width / layout.width;
  if (!Number.isInteger(k) || k < 1 || decoded.height !== k * layout.height) {
    throw new ApiProblem(400, PROBLEM.badImage,
      `The PNG is ${decoded.width}x${decoded.height}; ${model} takes ${layout.width}x${layout.height} images, or a whole multiple of that size (a maximize result with scale=k is shrunk back; with scale=1 it is the model's size).`);
  }
  const raster = shrink(decoded, k);
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
