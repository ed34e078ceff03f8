/**
 * From validated attribute parameters, a model and the image's pixels to a plan: the method and its parameters,
 * the class explained, the input in the model's layout, what to encode, and the canonical form of the request
 * that names the result in caches and ETags. Parameters that do not apply to the method are refused (a `steps`
 * meant for integrated must not silently do nothing for gradient).
 */
import { INTEGRATED_DEFAULTS, SMOOTHGRAD_DEFAULTS, type MethodParameters } from '../../attribution/index.js';
import type { ColormapName } from '../../encode/colormap.js';
import type { ImageLayout } from '../../engine/image.js';
import { layoutOf, type ModelInfo } from '../../registry/types.js';
import { encodeBase64Url } from '../../encode/base64url.js';
import type { AttributeQuery } from '../params/attribute.js';
import { pixelsToInput } from '../pixels.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { canonicalQuery, type Entries } from '../maximize/canonical.js';
import { defaultScale } from '../maximize/defaults.js';
import { resolveClass } from '../maximize/objective.js';

/** Bumped whenever attributions change for the same parameters (it is part of every cache key). */
export const ATTRIBUTION_VERSION = 1;

/** The parameters each method reads; any other method-specific parameter is refused. */
const APPLIES: Record<string, readonly string[]> = {
  n: ['smoothgrad'],
  sigma: ['smoothgrad'],
  steps: ['integrated'],
  baseline: ['integrated', 'gradxinput'],
  seed: ['smoothgrad', 'integrated', 'gradxinput'],
  layer: ['gradcam'],
};

export interface AttributionOutput {
  format: 'png' | 'json';
  scale: number;
  colormap: ColormapName;
  overlay: boolean;
}

export interface AttributionPlan {
  method: MethodParameters;
  /** the target the program is compiled for */
  target: string;
  /** null: the class the model predicts */
  classIndex: number | null;
  /** gradcam: the layer named in the request (undefined: the default one) */
  layer?: string;
  layout: ImageLayout;
  range: { min: number; max: number };
  pixels: Uint8Array;
  /** the image in the model's layout and range */
  input(): Float32Array;
  output: AttributionOutput;
  canonical: Entries;
  /** the canonical query string (the cache key) */
  query: string;
}

/** Where the image came from: a shipped test image, or its pixels (x, or a POSTed PNG: the same key). */
export type ImageSource = { sample: number } | { pixels: true };

export function planAttribute(q: AttributeQuery, info: ModelInfo, pixels: Uint8Array, source: ImageSource): AttributionPlan {
  const method = q.method;
  for (const [name, methods] of Object.entries(APPLIES)) {
    if (q[name as keyof AttributeQuery] !== undefined && !methods.includes(method)) {
      throw new ApiProblem(400, PROBLEM.badParameter,
        `Parameter "${name}" applies to method=${methods.join(' or method=')}, not method=${method}.`, { parameter: name, allowed: methods });
    }
  }
  const baseline = q.baseline ?? INTEGRATED_DEFAULTS.baseline;
  const randomBaseline = baseline === 'uniform' && (method === 'integrated' || method === 'gradxinput');
  if (q.seed !== undefined && method !== 'smoothgrad' && !randomBaseline) {
    throw new ApiProblem(400, PROBLEM.badParameter, 'Parameter "seed" applies to method=smoothgrad and to baseline=uniform.', { parameter: 'seed' });
  }
  const params: MethodParameters = {
    method,
    n: q.n ?? SMOOTHGRAD_DEFAULTS.n,
    sigma: q.sigma ?? SMOOTHGRAD_DEFAULTS.sigma,
    steps: q.steps ?? INTEGRATED_DEFAULTS.steps,
    baseline,
    seed: q.seed ?? 0,
  };
  const classIndex = q.class !== undefined ? resolveClass(info, q.class, 'class') : null;
  const layout = layoutOf(info.input);
  const range = { min: info.input.min, max: info.input.max };
  const signed = method !== 'gradcam';
  const output: AttributionOutput = {
    format: q.format,
    scale: q.scale ?? defaultScale(layout.height, layout.width),
    colormap: q.colormap ?? (signed ? 'diverging' : 'magma'),
    overlay: q.overlay === '1',
  };

  const computation: Entries = [
    ['model', info.id],
    ['sha256', info.sha256.slice(0, 16)],
    ['engine', ATTRIBUTION_VERSION],
    ['method', method],
    ['target', q.target],
    ['class', classIndex ?? 'predicted'],
    'sample' in source ? ['sample', source.sample] as [string, number] : ['x', encodeBase64Url(pixels)] as [string, string],
    ...(method === 'smoothgrad' ? [['n', params.n], ['sigma', params.sigma], ['seed', params.seed]] as Entries : []),
    ...(method === 'integrated' ? [['steps', params.steps]] as Entries : []),
    ...(method === 'integrated' || method === 'gradxinput' ? [['baseline', baseline]] as Entries : []),
    ...(randomBaseline ? [['seed', params.seed]] as Entries : []),
    ...(q.layer !== undefined ? [['layer', q.layer]] as Entries : []),
  ];
  const canonical = ([
    ...computation,
    ['format', output.format],
    ...(output.format === 'png' ? [['scale', output.scale], ['colormap', output.colormap], ['overlay', output.overlay ? 1 : 0]] as Entries : []),
  ] as Entries).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  return {
    method: params,
    target: q.target,
    classIndex,
    ...(q.layer !== undefined ? { layer: q.layer } : {}),
    layout,
    range,
    pixels,
    input: () => pixelsToInput(pixels, layout, range),
    output,
    canonical,
    query: canonicalQuery(canonical),
  };
}
