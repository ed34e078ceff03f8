/**
 * An attribution as the client asked for it: a PNG heatmap (its numbers in headers) or JSON with the map in the
 * input's layout, the input's probabilities, the method's parameters and, for integrated, completeness. Both are
 * immutable responses named by their canonical query.
 */
import { pixelValues, type Attribution } from '../../attribution/index.js';
import { heatmap } from '../../encode/heatmap.js';
import { encodePng } from '../../encode/png.js';
import type { ImageLayout } from '../../engine/image.js';
import type { ModelInfo } from '../../registry/types.js';
import { IMMUTABLE, strongEtag } from '../cache.js';
import type { AttributionPlan } from './plan.js';

/** A computed attribution with what the response reports about the input. */
export interface Explained {
  attribution: Attribution;
  /** the class explained (the predicted one when the request named none) */
  classIndex: number;
  probabilities: Float64Array;
  /** the CPU estimate the budget was checked with, ms */
  cpuMs: number;
}

const round = (v: number) => Number(v.toPrecision(7));

/** Workers refuse URLs longer than 16 KB: a POSTed image too large for `x` gets no GET URL. */
const MAX_URL_LENGTH = 16_384;

/** Signed maps saturate at the 98th percentile of |value| (Captum's outlier_perc = 2); Grad-CAM at its maximum. */
const clipOf = (a: Attribution) => (a.signed ? 0.02 : 0);

/** The input's gray level per pixel, drawn under an overlay: the pixel itself, or its luma (ITU-R BT.601). */
function grayOf(pixels: Uint8Array, layout: ImageLayout): Uint8Array {
  if (layout.channels === 1) return pixels;
  const n = layout.height * layout.width;
  return Uint8Array.from({ length: n }, (_, i) => Math.round(0.299 * pixels[3 * i]! + 0.587 * pixels[3 * i + 1]! + 0.114 * pixels[3 * i + 2]!));
}

export function renderHeatmap(e: Explained, plan: AttributionPlan): Promise<Uint8Array<ArrayBuffer>> {
  const { width, height } = plan.layout;
  const raster = heatmap(pixelValues(e.attribution, plan.layout), width, height, {
    colormap: plan.output.colormap,
    clip: clipOf(e.attribution),
    ...(plan.output.overlay ? { under: grayOf(plan.pixels, plan.layout) } : {}),
  });
  return encodePng(raster, { Software: 'Ascent', Comment: `/api/v1/attribute?${plan.query}` }, undefined, plan.output.scale);
}

/** The method's parameters that shaped the result. */
function parametersOf(plan: AttributionPlan, a: Attribution): Record<string, unknown> {
  const p = plan.method;
  switch (p.method) {
    case 'smoothgrad': return { n: p.n, sigma: p.sigma, seed: p.seed };
    case 'integrated': return { steps: p.steps, baseline: p.baseline, ...(p.baseline === 'uniform' ? { seed: p.seed } : {}) };
    case 'gradxinput': return { baseline: p.baseline, ...(p.baseline === 'uniform' ? { seed: p.seed } : {}) };
    case 'gradcam': return { layer: a.cam!.layer };
    default: return {};
  }
}

export function attributionJson(e: Explained, plan: AttributionPlan, info: ModelInfo) {
  const a = e.attribution;
  const k = e.classIndex;
  const { layout } = plan;
  let top = 0;
  for (let c = 1; c < e.probabilities.length; c++) if (e.probabilities[c]! > e.probabilities[top]!) top = c;
  return {
    model: info.id,
    method: a.method,
    class: k,
    label: info.labels[k] ?? String(k),
    target: plan.target,
    probability: round(e.probabilities[k]!),
    predicted: { class: top, label: info.labels[top] ?? String(top) },
    probabilities: Array.from(e.probabilities, round),
    logits: Array.from(a.logits.subarray(0, e.probabilities.length), round),
    score: round(a.score),
    attribution: {
      shape: a.perPixel ? [layout.height, layout.width] : info.input.shape,
      layout: a.perPixel || layout.channels === 1 ? 'HW' : layout.channelsLast ? 'HWC' : 'CHW',
      data: Array.from(a.values, round),
    },
    ...(a.cam ? { cam: { layer: a.cam.layer, shape: [a.cam.height, a.cam.width], data: Array.from(a.cam.values, round), channelWeights: Array.from(a.cam.channelWeights, round) } } : {}),
    ...(a.completeness ? { completeness: Object.fromEntries(Object.entries(a.completeness).map(([key, v]) => [key, round(v)])) } : {}),
    parameters: parametersOf(plan, a),
    params: Object.fromEntries(plan.canonical),
    url: plan.query.length + 20 <= MAX_URL_LENGTH ? `/api/v1/attribute?${plan.query}` : null,
    work: { cpuMs: Math.ceil(e.cpuMs), rows: a.rows },
  };
}

/** The result in the requested format, as the immutable response cached under its canonical query. */
export async function attributionResponse(e: Explained, plan: AttributionPlan, info: ModelInfo): Promise<Response> {
  const headers = { ETag: await strongEtag(plan.query), 'Cache-Control': IMMUTABLE, 'X-Ascent-Params': plan.query };
  if (plan.output.format === 'json') {
    return new Response(JSON.stringify(attributionJson(e, plan, info)), { headers: { ...headers, 'Content-Type': 'application/json' } });
  }
  let top = 0;
  for (let c = 1; c < e.probabilities.length; c++) if (e.probabilities[c]! > e.probabilities[top]!) top = c;
  const c = e.attribution.completeness;
  return new Response(await renderHeatmap(e, plan), {
    headers: {
      ...headers,
      'Content-Type': 'image/png',
      // what a page shows under an embedded heatmap, without a second request for the JSON
      'X-Ascent-Class': String(e.classIndex),
      'X-Ascent-Predicted': String(top),
      'X-Ascent-Probability': String(round(e.probabilities[e.classIndex]!)),
      ...(c ? { 'X-Ascent-Completeness': String(round(c.relative)) } : {}),
    },
  });
}
