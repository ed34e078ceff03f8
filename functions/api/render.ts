/**
 * Turns an ascent result into what the client asked for: a PNG (one image, or a grid of all restarts) or JSON
 * with the probabilities, the image values and the trace.
 */
import type { AscentResult } from '../engine/ascent.js';
import { at, sampleSize, type ImageLayout } from '../engine/image.js';
import { encodePng } from '../encode/png.js';
import { colorize, enlarge, tile, type Raster } from '../encode/raster.js';
import type { ModelInfo } from '../registry/types.js';
import type { MaximizePlan, OutputSpec } from './plan.js';

/** The restart with the highest objective. */
export function bestIndex(r: AscentResult): number {
  let best = 0;
  for (let s = 1; s < r.objective.length; s++) if (r.objective[s]! > r.objective[best]!) best = s;
  return best;
}

/** Sample `s` as an 8-bit raster: the result's levels, or its difference to the start (128 = no change). */
export function rasterOf(r: AscentResult, layout: ImageLayout, s: number, view: 'image' | 'delta'): Raster {
  const { height, width, channels } = layout;
  const size = sampleSize(layout);
  const data = new Uint8Array(height * width * channels);
  let scale = 0;
  if (view === 'delta') {
    for (let i = 0; i < size; i++) scale = Math.max(scale, Math.abs(r.images[s * size + i]! - r.starts[s * size + i]!));
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const i = s * size + at(layout, y, x, c);
        const o = (y * width + x) * channels + c;
        if (view === 'image') data[o] = r.levels[i]!;
        else data[o] = scale === 0 ? 128 : Math.round(128 + (127 * (r.images[i]! - r.starts[i]!)) / scale);
      }
    }
  }
  return { width, height, channels: channels === 3 ? 3 : 1, data };
}

export function renderPng(r: AscentResult, plan: MaximizePlan, output: OutputSpec, canonical: string): Uint8Array<ArrayBuffer> {
  const which = output.pick === 'all' ? [...Array(plan.batch).keys()] : [bestIndex(r)];
  const rasters = which.map((s) => enlarge(colorize(rasterOf(r, plan.layout, s, output.view), output.colormap), output.scale));
  const image = rasters.length === 1 ? rasters[0]! : tile(rasters, Math.ceil(Math.sqrt(rasters.length)), Math.max(2, output.scale));
  return encodePng(image, { Software: 'Ascent', Comment: `/api/v1/maximize?${canonical}` });
}

const round = (v: number) => Number(v.toPrecision(7));

function sampleJson(r: AscentResult, plan: MaximizePlan, info: ModelInfo, s: number) {
  const size = sampleSize(plan.layout);
  const probabilities = Array.from(r.probabilities.subarray(s * r.classes, (s + 1) * r.classes), round);
  let top = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c]! > probabilities[top]!) top = c;
  const k = plan.classIndex;
  return {
    objective: round(r.objective[s]!),
    score: round(r.score[s]!),
    probability: k !== null ? probabilities[k] : null,
    probabilities,
    logits: Array.from(r.logits.subarray(s * r.classes, (s + 1) * r.classes), round),
    predicted: { class: top, label: info.labels[top] ?? String(top) },
    image: {
      shape: info.input.shape,
      layout: plan.layout.channels > 1 ? (plan.layout.channelsLast ? 'HWC' : 'CHW') : 'HW',
      min: plan.grid.min,
      max: plan.grid.max,
      data: Array.from(r.images.subarray(s * size, (s + 1) * size), round),
      levels: Array.from(r.levels.subarray(s * size, (s + 1) * size)),
    },
    trace: {
      objective: r.trace.objective[s]!.map(round),
      probability: k !== null ? r.trace.probability[s]!.map(round) : null,
    },
  };
}

export function renderJson(r: AscentResult, plan: MaximizePlan, info: ModelInfo, output: OutputSpec, canonical: [string, string | number][], query: string, work: { gflop: number }) {
  const best = bestIndex(r);
  const k = plan.classIndex;
  const m = plan.minusIndex;
  return {
    model: info.id,
    class: k,
    label: k !== null ? info.labels[k] : null,
    minus: m,
    minusLabel: m !== null ? info.labels[m] : null,
    target: plan.target,
    unit: plan.unit,
    steps: plan.steps,
    ...sampleJson(r, plan, info, best),
    restart: best,
    restarts: plan.batch > 1
      ? (output.pick === 'all'
        ? Array.from({ length: plan.batch }, (_, s) => sampleJson(r, plan, info, s))
        : Array.from({ length: plan.batch }, (_, s) => ({ objective: round(r.objective[s]!), probability: k !== null ? round(r.probabilities[s * r.classes + k]!) : null })))
      : undefined,
    params: Object.fromEntries(canonical),
    url: `/api/v1/maximize?${query}`,
    work,
  };
}
