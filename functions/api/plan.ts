/**
 * From validated maximize parameters and a model to a plan: the engine's spec, the objective weights, what
 * to encode, and the canonical form of the request (defaults filled in, labels resolved to indices) that names
 * the result in caches and ETags. Equivalent URLs get the same canonical form.
 */
import { sampleSize, type ImageLayout } from '../engine/image.js';
import { rng } from '../engine/prng.js';
import { NO_REGULARIZATION, type Regularization } from '../engine/regularizers.js';
import type { Constraints } from '../engine/constraints.js';
import type { OptimizerName } from '../engine/optimizers.js';
import type { ColormapName } from '../encode/colormap.js';
import { layoutOf, type ModelInfo } from '../registry/types.js';
import type { Samples } from '../../models/data/samples.js';
import { DEFAULT_SETTINGS, NATURAL_PRESET, type MaximizeQuery } from './params/maximize.js';
import { ApiProblem, PROBLEM } from './problem.js';
import { decodeBase64Url, encodeBase64Url } from './params/base64url.js';

/** Bumped whenever the engine's results change for the same parameters (it is part of every cache key). */
export const ENGINE_VERSION = 1;

export interface MaximizePlan {
  /** 'logit' | 'logprob' | 'prob' or a tensor name: what the gradient program is compiled for */
  target: string;
  classIndex: number | null;
  minusIndex: number | null;
  unit: number | null;
  /** objective weights for a program with `units` units */
  weights(units: number): Float32Array;
  layout: ImageLayout;
  grid: { min: number; max: number };
  constraints: Constraints;
  optimizer: OptimizerName;
  lr: number;
  steps: number;
  regularization: Regularization;
  /** the start images (built on first use: a cache hit never needs them) */
  starts(): Float32Array;
  batch: number;
  seed: number;
  output: OutputSpec;
  /** canonical parameters of the requested result, sorted by name */
  canonical: [string, string | number][];
  /** the same computation in the other format, with default output settings: cached alongside */
  twin: { output: OutputSpec; canonical: [string, string | number][] };
}

export interface OutputSpec {
  format: 'png' | 'json';
  scale: number;
  colormap: ColormapName;
  view: 'image' | 'delta';
  pick: 'best' | 'all';
}

type Entries = [string, string | number][];

function canonicalFor(computation: Entries, o: OutputSpec): Entries {
  const entries: Entries = [
    ...computation,
    ['format', o.format],
    ...(o.format === 'png' ? [['scale', o.scale], ['colormap', o.colormap], ['view', o.view]] as Entries : []),
  ];
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function resolveClass(info: ModelInfo, value: string, parameter: string): number {
  if (/^\d+$/.test(value)) {
    const k = Number(value);
    if (k < info.labels.length) return k;
  } else {
    const k = info.labels.findIndex((l) => l.toLowerCase() === value.toLowerCase());
    if (k >= 0) return k;
  }
  throw new ApiProblem(400, PROBLEM.badParameter,
    `Parameter "${parameter}" must be a class index 0..${info.labels.length - 1} or one of the labels of ${info.id} (got ${JSON.stringify(value)}).`,
    { parameter, allowed: info.labels });
}

/** Parses mask=left,top,right,bottom or a base64url bitmap into one flag per element of a sample. */
function parseMask(value: string, layout: ImageLayout): { mask: Uint8Array; canonical: string } {
  const { height, width, channels } = layout;
  const pixels = new Uint8Array(height * width);
  const rect = /^(\d+),(\d+),(\d+),(\d+)$/.exec(value);
  if (rect) {
    const [left, top, right, bottom] = rect.slice(1).map(Number) as [number, number, number, number];
    if (left >= right || top >= bottom || right > width || bottom > height) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "mask" as a rectangle needs 0 <= left < right <= ${width} and 0 <= top < bottom <= ${height} (got ${value}).`,
        { parameter: 'mask' });
    }
    for (let y = top; y < bottom; y++) for (let x = left; x < right; x++) pixels[y * width + x] = 1;
  } else {
    const bytes = decodeBase64Url(value, 'mask');
    const need = Math.ceil((height * width) / 8);
    if (bytes.length !== need) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "mask" as a bitmap needs ${need} bytes (${height}x${width} bits) in base64url, got ${bytes.length}.`, { parameter: 'mask' });
    }
    for (let i = 0; i < height * width; i++) pixels[i] = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  }
  const mask = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = layout.channelsLast ? (y * width + x) * channels + c : (c * height + y) * width + x;
        mask[i] = pixels[y * width + x]!;
      }
    }
  }
  // canonical: the bitmap, so a rectangle and the same bitmap share cache entries
  const bits = new Uint8Array(Math.ceil((height * width) / 8));
  for (let i = 0; i < height * width; i++) if (pixels[i]) bits[i >> 3]! |= 1 << (7 - (i & 7));
  return { mask, canonical: encodeBase64Url(bits) };
}

/** Converts 8-bit pixels in HWC order (how images are passed in URLs) to the model's layout and range. */
export function pixelsToInput(pixels: Uint8Array, layout: ImageLayout, grid: { min: number; max: number }): Float32Array {
  const { height, width, channels } = layout;
  const out = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = layout.channelsLast ? (y * width + x) * channels + c : (c * height + y) * width + x;
        out[i] = grid.min + (pixels[(y * width + x) * channels + c]! / 255) * (grid.max - grid.min);
      }
    }
  }
  return out;
}

export function planMaximize(q: MaximizeQuery, info: ModelInfo, samples: Samples | undefined): MaximizePlan {
  const layout = layoutOf(info.input);
  const size = sampleSize(layout);
  const grid = { min: info.input.min, max: info.input.max };
  const width = grid.max - grid.min;

  // objective
  if (q.layer === undefined && q.unit !== undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "unit" needs "layer" (the tensor it belongs to).', { parameter: 'unit' });
  if (q.layer !== undefined && q.unit === undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "layer" needs "unit" (which unit of the tensor to maximize).', { parameter: 'layer' });
  if (q.layer !== undefined && (q.class !== undefined || q.minus !== undefined)) {
    throw new ApiProblem(400, PROBLEM.badParameter, 'Give either class (and minus) or layer and unit, not both.', { parameter: 'layer' });
  }
  if (q.layer === undefined && q.class === undefined) {
    throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "class" is required: a class index 0..${info.labels.length - 1} or a label.`, { parameter: 'class', allowed: info.labels });
  }
  const classIndex = q.class !== undefined ? resolveClass(info, q.class, 'class') : null;
  const minusIndex = q.minus !== undefined ? resolveClass(info, q.minus, 'minus') : null;
  if (minusIndex !== null && minusIndex === classIndex) throw new ApiProblem(400, PROBLEM.badParameter, 'Parameters "class" and "minus" name the same class.', { parameter: 'minus' });
  const unit = q.unit ?? null;
  const target = q.layer ?? q.target;

  // range
  const min = q.min ?? grid.min;
  const max = q.max ?? grid.max;
  if (!(min >= grid.min && max <= grid.max && min < max)) {
    throw new ApiProblem(400, PROBLEM.badParameter,
      `Parameters "min" and "max" must satisfy ${grid.min} <= min < max <= ${grid.max} (the model's input range); got min=${min}, max=${max}.`,
      { parameter: q.min !== undefined && !(min >= grid.min) ? 'min' : 'max', allowed: { minimum: grid.min, maximum: grid.max } });
  }

  // start point and regularizers: the preset first, explicit parameters override it
  const base = q.preset === 'natural' ? NATURAL_PRESET : DEFAULT_SETTINGS;
  // default start: mid-range gray plus seeded noise. Not all-black: at x = 0 many ReLU networks have exactly zero
  // gradient (every first-layer unit off), and the search would never move.
  const init = q.init ?? (q.sample !== undefined ? 'sample' : q.x !== undefined ? 'image' : base.init);
  if (q.sample !== undefined && init !== 'sample') throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" only goes with init=sample (got init=${init}).`, { parameter: 'sample' });
  if (q.x !== undefined && init !== 'image') throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "x" only goes with init=image (got init=${init}).`, { parameter: 'x' });
  const batch = q.restarts;
  const canonicalStart: [string, string | number][] = [];
  const clampValue = (v: number) => Math.min(max, Math.max(min, v));
  let fill: (starts: Float32Array) => void;
  if (init === 'zeros' || init === 'gray') {
    fill = (starts) => starts.fill(clampValue(init === 'zeros' ? 0 : (grid.min + grid.max) / 2));
  } else if (init === 'uniform') {
    fill = (starts) => {
      const random = rng(q.seed);
      for (let i = 0; i < starts.length; i++) starts[i] = min + random.next() * (max - min);
    };
  } else if (init === 'normal') {
    fill = (starts) => {
      const random = rng(q.seed);
      for (let i = 0; i < starts.length; i++) starts[i] = clampValue((min + max) / 2 + ((max - min) / 6) * random.normal());
    };
  } else if (init === 'sample') {
    if (q.sample === undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'init=sample needs "sample", the index of a test image.', { parameter: 'sample' });
    if (!samples || samples.height !== layout.height || samples.width !== layout.width || layout.channels !== 1) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `The shipped test images are ${samples?.height ?? 28}x${samples?.width ?? 28} gray; ${info.id} takes ${layout.height}x${layout.width}x${layout.channels}. Pass the start image in "x" instead.`,
        { parameter: 'sample' });
    }
    if (q.sample >= samples.count) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" must be < ${samples.count} (got ${q.sample}).`, { parameter: 'sample', allowed: { minimum: 0, maximum: samples.count - 1 } });
    const img = pixelsToInput(samples.pixels.subarray(q.sample * size, (q.sample + 1) * size), layout, grid);
    fill = (starts) => { for (let s = 0; s < batch; s++) starts.set(img, s * size); };
    canonicalStart.push(['sample', q.sample]);
  } else {
    if (q.x === undefined) throw new ApiProblem(400, PROBLEM.badParameter, 'init=image needs "x", the start image as base64url 8-bit pixels.', { parameter: 'x' });
    const bytes = decodeBase64Url(q.x, 'x');
    if (bytes.length !== size) {
      throw new ApiProblem(400, PROBLEM.badImage,
        `Parameter "x" must hold ${size} bytes (${layout.height}x${layout.width}${layout.channels > 1 ? `x${layout.channels}` : ''} 8-bit pixels, row-major), got ${bytes.length}.`,
        { parameter: 'x' });
    }
    const img = pixelsToInput(bytes, layout, grid);
    fill = (starts) => { for (let s = 0; s < batch; s++) starts.set(img, s * size); };
    canonicalStart.push(['x', encodeBase64Url(bytes)]);
  }

  // constraints
  const maskParsed = q.mask !== undefined ? parseMask(q.mask, layout) : undefined;
  const constraints: Constraints = { min, max, eps: q.eps, norm: q.norm, ...(maskParsed ? { mask: maskParsed.mask } : {}) };

  const regularization: Regularization = {
    ...NO_REGULARIZATION,
    l2: q.l2 ?? base.l2,
    l1: q.l1 ?? base.l1,
    tv: q.tv ?? base.tv,
    blur: q.blur ?? base.blur,
    blurEvery: q.blur_every ?? base.blur_every,
    jitter: q.jitter ?? base.jitter,
  };

  const lr = q.lr ?? base.lrFraction * width;
  const randomness = init === 'uniform' || init === 'normal' || regularization.jitter > 0;
  const defaultScale = Math.max(1, Math.round(224 / Math.max(layout.height, layout.width)));
  const scale = q.scale ?? defaultScale;
  const colormap = q.colormap ?? (q.view === 'delta' ? 'diverging' : 'gray');
  const output: OutputSpec = { format: q.format, scale, colormap, view: q.view, pick: q.pick };
  const twinOutput: OutputSpec = q.format === 'png'
    ? { ...output, format: 'json' }
    : { format: 'png', scale: defaultScale, colormap: 'gray', view: 'image', pick: q.pick };

  // everything that determines the numbers (output options are added per format by canonicalFor)
  const computation: Entries = [
    ['model', info.id],
    ['sha256', info.sha256.slice(0, 16)],
    ['engine', ENGINE_VERSION],
    ['target', target],
    ...(classIndex !== null ? [['class', classIndex] as [string, number]] : []),
    ...(minusIndex !== null ? [['minus', minusIndex] as [string, number]] : []),
    ...(unit !== null ? [['unit', unit] as [string, number]] : []),
    ['optimizer', q.optimizer],
    ['lr', lr],
    ['steps', q.steps],
    ['init', init],
    ...canonicalStart,
    ...(randomness ? [['seed', q.seed] as [string, number]] : []),
    ['min', min],
    ['max', max],
    ...(q.eps > 0 ? [['eps', q.eps] as [string, number], ['norm', q.norm] as [string, string]] : []),
    ...(maskParsed ? [['mask', maskParsed.canonical] as [string, string]] : []),
    ['l2', regularization.l2],
    ['l1', regularization.l1],
    ['tv', regularization.tv],
    ['blur', regularization.blur],
    ...(regularization.blur > 0 ? [['blur_every', regularization.blurEvery] as [string, number]] : []),
    ['jitter', regularization.jitter],
    ['restarts', batch],
    ...(batch > 1 ? [['pick', q.pick] as [string, string]] : []),
  ];

  return {
    target,
    classIndex,
    minusIndex,
    unit,
    weights(units: number) {
      const w = new Float32Array(units);
      if (unit !== null) {
        if (unit >= units) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "unit" must be < ${units}, the number of units of "${q.layer}".`, { parameter: 'unit', allowed: { minimum: 0, maximum: units - 1 } });
        w[unit] = 1;
      } else {
        w[classIndex!] = 1;
        if (minusIndex !== null) w[minusIndex] = -1;
      }
      return w;
    },
    layout,
    grid,
    constraints,
    optimizer: q.optimizer,
    lr,
    steps: q.steps,
    regularization,
    starts() {
      const starts = new Float32Array(batch * size);
      fill(starts);
      return starts;
    },
    batch,
    seed: q.seed,
    output,
    canonical: canonicalFor(computation, output),
    twin: { output: twinOutput, canonical: canonicalFor(computation, twinOutput) },
  };
}
