/**
 * Turns an ascent result into what the client asked for: a PNG (one image, or a grid of all restarts, with its
 * numbers in headers), a GIF of the ascent (the same headers) or JSON with the probabilities, the image values
 * and the trace. All are immutable responses named by their canonical query.
 */
import type { AscentResult } from '../../engine/ascent.js';
import { at, sampleSize, type ImageLayout } from '../../engine/image.js';
import { animate, type AnimationFrame } from '../../encode/animation.js';
import { encodeGif } from '../../encode/gif.js';
import { encodePng, type Deflate } from '../../encode/png.js';
import { valueOf } from '../../engine/quantize.js';
import { colorize, enlarge, tile, type Raster } from '../../encode/raster.js';
import type { ModelInfo } from '../../registry/types.js';
import { immutableHeaders, strongEtag, type StoredBody } from '../cache.js';
import { publicQuery, type Entries } from './canonical.js';
import type { OutputSpec } from './output.js';
import type { MaximizePlan } from './plan.js';
import { warningHeader } from './warnings.js';

/** What the route knows about a computed result besides the engine's numbers. */
export interface ResultFacts {
  /** per restart, what the result says about itself (warnings.ts) */
  warnings: string[][];
  /** the steps run (the default may have been lowered to fit the budget) */
  steps: number;
  /** the estimated CPU time of the computation */
  work: { cpuMs: number };
}

/** Index of the largest of values[from, from + n). */
function argmax(values: ArrayLike<number>, from = 0, n = values.length - from): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[from + i]! > values[from + best]!) best = i;
  return best;
}

/** The restart with the highest objective. */
export const bestIndex = (r: AscentResult): number => argmax(r.objective);

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

export function renderPng(r: AscentResult, plan: MaximizePlan, output: OutputSpec, canonical: string, deflate?: Deflate): Promise<Uint8Array<ArrayBuffer>> {
  const which = output.pick === 'all' ? [...Array(plan.spec.batch).keys()] : [bestIndex(r)];
  const text = { Software: 'Ascent', Comment: `/api/v1/maximize?${canonical}` };
  const rasters = which.map((s) => colorize(rasterOf(r, plan.spec.layout, s, output.view), output.colormap));
  // one image: enlarged by the encoder as it writes the rows
  if (rasters.length === 1) return encodePng(rasters[0]!, text, deflate, output.scale);
  return encodePng(tile(rasters.map((x) => enlarge(x, output.scale)), Math.ceil(Math.sqrt(rasters.length)), Math.max(2, output.scale)), text, deflate);
}

/**
 * The animation of an ascent run with snapshots: each frame is the PNG the same request would give after that
 * many steps (same samples, view, colour map and scale), captioned with the target probability of the image at
 * that step (the trace's value, of the unquantized image; the final one for the result), except the last frame,
 * which is the result's PNG pixels.
 */
export function renderGif(r: AscentResult, plan: MaximizePlan, output: OutputSpec): Uint8Array<ArrayBuffer> {
  const snapshots = r.snapshots;
  if (!snapshots?.length || !output.animation) throw new Error('renderGif needs an ascent run with snapshots');
  const { batch, steps, layout, grid } = plan.spec;
  const which = output.pick === 'all' ? [...Array(batch).keys()] : [bestIndex(r)];
  const k = plan.objective.classIndex;
  const frames: AnimationFrame[] = snapshots.map((snap) => {
    const last = snap.step === steps;
    const images = last ? r.images : Float32Array.from(snap.levels, (q) => valueOf(q, grid));
    const at = { ...r, levels: snap.levels, images };
    const s = which[0]!;
    const probability = k === null || which.length > 1 ? null
      : last ? r.probabilities[s * r.classes + k]! : r.trace.probability[s]![snap.step]!;
    return { step: snap.step, probability, tiles: which.map((i) => rasterOf(at, layout, i, output.view)) };
  });
  return encodeGif(animate(frames, {
    steps, colormap: output.colormap, scale: output.scale, columns: Math.ceil(Math.sqrt(which.length)), gap: Math.max(2, output.scale),
    caption: output.animation.caption,
  }));
}

const round = (v: number) => Number(v.toPrecision(7));

function sampleJson(r: AscentResult, plan: MaximizePlan, info: ModelInfo, s: number, facts: ResultFacts) {
  const { layout, grid } = plan.spec;
  const size = sampleSize(layout);
  const probabilities = Array.from(r.probabilities.subarray(s * r.classes, (s + 1) * r.classes), round);
  const top = argmax(probabilities);
  const k = plan.objective.classIndex;
  return {
    objective: round(r.objective[s]!),
    score: round(r.score[s]!),
    probability: k !== null ? probabilities[k] : null,
    probabilities,
    logits: Array.from(r.logits.subarray(s * r.classes, (s + 1) * r.classes), round),
    predicted: { class: top, label: info.labels[top] ?? String(top) },
    image: {
      shape: info.input.shape,
      layout: layout.channels > 1 ? (layout.channelsLast ? 'HWC' : 'CHW') : 'HW',
      min: grid.min,
      max: grid.max,
      data: Array.from(r.images.subarray(s * size, (s + 1) * size), round),
      levels: Array.from(r.levels.subarray(s * size, (s + 1) * size)),
    },
    ...(r.z && plan.prior ? { z: Array.from(r.z.subarray(s * plan.prior.latent, (s + 1) * plan.prior.latent), round) } : {}),
    trace: {
      objective: r.trace.objective[s]!.map(round),
      probability: k !== null ? r.trace.probability[s]!.map(round) : null,
    },
    warnings: facts.warnings[s] ?? [],
  };
}

export function renderJson(r: AscentResult, plan: MaximizePlan, info: ModelInfo, output: OutputSpec, canonical: Entries, facts: ResultFacts) {
  const best = bestIndex(r);
  const { classIndex: k, minusIndex: m } = plan.objective;
  const batch = plan.spec.batch;
  const isTensor = plan.objective.unit !== null;
  return {
    model: info.id,
    class: k,
    label: k !== null ? info.labels[k] : null,
    minus: m,
    minusLabel: m !== null ? info.labels[m] : null,
    target: plan.objective.target,
    unit: plan.objective.unit,
    prior: plan.prior?.id ?? null,
    steps: facts.steps,
    ...sampleJson(r, plan, info, best, facts),
    restart: best,
    restarts: batch > 1
      ? (output.pick === 'all'
        ? Array.from({ length: batch }, (_, s) => sampleJson(r, plan, info, s, facts))
        : Array.from({ length: batch }, (_, s) => ({ objective: round(r.objective[s]!), probability: k !== null ? round(r.probabilities[s * r.classes + k]!) : null })))
      : undefined,
    params: Object.fromEntries(canonical.map(([name, v]) => [name, name === 'steps' ? facts.steps : v])),
    url: `/api/v1/maximize?${publicQuery(canonical, facts.steps, isTensor)}`,
    work: facts.work,
  };
}

/** The result in one output format, encoded: what the cache keeps and responses are made from. */
export async function resultBody(
  r: AscentResult, plan: MaximizePlan, info: ModelInfo, output: OutputSpec, entries: Entries, query: string, facts: ResultFacts,
  deflate?: Deflate,
): Promise<StoredBody> {
  const headers = immutableHeaders(await strongEtag(query), query);
  if (output.format !== 'json') {
    // the numbers a page shows under an embedded image, without a second request for the JSON
    const best = bestIndex(r);
    const k = plan.objective.classIndex;
    const probabilities = r.probabilities.subarray(best * r.classes, (best + 1) * r.classes);
    const warnings = output.pick === 'all' ? [...new Set(facts.warnings.flat())] : facts.warnings[best] ?? [];
    const summary: Record<string, string> = {
      'X-Ascent-Predicted': String(argmax(probabilities)),
      'X-Ascent-Objective': String(Number(r.objective[best]!.toPrecision(7))),
      ...(k !== null ? { 'X-Ascent-Probability': String(Number(probabilities[k]!.toPrecision(7))) } : {}),
      ...(warnings.length ? { 'X-Ascent-Warning': warningHeader(warnings) } : {}),
    };
    if (output.format === 'gif') return { body: renderGif(r, plan, output), headers: { ...headers, ...summary, 'Content-Type': 'image/gif' } };
    return { body: await renderPng(r, plan, output, query, deflate), headers: { ...headers, ...summary, 'Content-Type': 'image/png' } };
  }
  const json = renderJson(r, plan, info, output, entries, facts);
  return { body: JSON.stringify(json), headers: { ...headers, 'Content-Type': 'application/json' } };
}
