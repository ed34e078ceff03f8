/**
 * What a maximize request means where a parameter is left out, and which parameters change nothing given the
 * others. One set of rules for both sides of a URL: the server fills the defaults in and drops what changes
 * nothing to name a result (its canonical key, ./canonical.ts); the site leaves out the same to keep the URLs it
 * writes short (site/src/scripts/query.ts). Pure: no validation library and no host APIs, so the browser bundles
 * it as it is.
 */

export const PRESETS = ['none', 'natural'] as const;
/** The steps of a request that leaves them out (fewer when they do not fit the CPU budget, see api/budget.ts). */
export const DEFAULT_STEPS = 256;
export const INITS = ['zeros', 'gray', 'dark', 'uniform', 'normal', 'sample', 'image'] as const;
/** The parameters whose defaults the preset sets (besides init and lr). */
export const REGULARIZERS = ['l2', 'l1', 'tv', 'blur', 'blur_every', 'jitter'] as const;
export type RegularizerName = (typeof REGULARIZERS)[number];

/** What a preset sets: the start point, the step size as a fraction of the input range, the regularizers. */
export interface PresetSettings extends Record<RegularizerName, number> {
  init: string;
  lrFraction: number;
}

export const DEFAULT_SETTINGS: PresetSettings = { l2: 0, l1: 0, tv: 0, blur: 0, blur_every: 4, jitter: 0, lrFraction: 0.05, init: 'normal' };

/**
 * The natural-looking preset, tuned on Ascent's two Fashion-MNIST models (sweeps over l2, tv, blur, jitter, lr and
 * the start, judged by eye and by cross-model agreement, see README.md). A small L2 pull toward the start image and
 * a total-variation penalty remove high-frequency patterns; a Gaussian blur every other step and a 1-pixel jitter
 * (Yosinski et al. 2015) spread the evidence over the object's shape. It starts dark (init=dark: the low end of
 * the range plus a little seeded noise, like the background of the training images), where the L2 term pulls;
 * not all-black, where many ReLU networks have an exactly zero gradient, and should the gradient still be zero
 * there, from mid-gray noise (init=normal). Its weights are stated for an input range of width 1 and scale with
 * the model's range (presetWeight), so a model described in 0..255 gives the image it gives in 0..1.
 * Explicit parameters override the preset (and are taken as given, in the model's units).
 */
export const NATURAL_PRESET: PresetSettings = { l2: 0.005, l1: 0, tv: 0.05, blur: 0.5, blur_every: 2, jitter: 1, lrFraction: 0.03, init: 'dark' };

/** Starts tried in order after the preset's own when the gradient there is exactly zero (init left out). */
export const FALLBACK_STARTS: Readonly<Record<string, readonly string[]>> = { dark: ['normal'] };

/**
 * How a penalty weight stated for a range of width 1 scales to a range of width r: penalties of squared
 * differences (l2, tv) by 1/r^2, of absolute differences (l1) by 1/r, so that the penalty's gradient keeps its
 * size relative to the model's; blur and jitter are in pixels and do not scale.
 */
export function presetWeight(name: RegularizerName, value: number, range: { min: number; max: number }): number {
  const r = range.max - range.min;
  return name === 'l2' || name === 'tv' ? value / (r * r) : name === 'l1' ? value / r : value;
}

export const PRESET_SETTINGS: Readonly<Record<(typeof PRESETS)[number], PresetSettings>> = { none: DEFAULT_SETTINGS, natural: NATURAL_PRESET };

/**
 * Defaults of a search through a learned image prior (prior=): Adam's step in z units, the radius of the ball the
 * code stays in, per sqrt(latent size) (the prior N(0, I) puts its codes at ||z|| ~ sqrt(latent)), and the steps.
 */
export const PRIOR_SETTINGS = { lr: 0.1, zmaxPerSqrtLatent: 1, steps: 128 } as const;

/**
 * The steps of a request that leaves them out: DEFAULT_STEPS in pixel space, PRIOR_SETTINGS.steps through a prior
 * (a 16-dimensional code converges in fewer Adam steps than 784 pixels: the built-ins' prior images at 128 steps
 * match those at 256 in class probability within 0.02, and each step costs more, through the generator).
 */
export const defaultSteps = (prior: string | undefined): number => (prior === undefined || prior === '' ? DEFAULT_STEPS : PRIOR_SETTINGS.steps);

/** The settings of a preset by name (none for anything else: the validators refuse unknown names). */
export function presetSettings(preset: string | undefined): PresetSettings {
  return preset === 'natural' ? NATURAL_PRESET : DEFAULT_SETTINGS;
}

/** What the rules read of a request: the values given (undefined where left out) and the preset in effect. */
export interface Given {
  settings: PresetSettings;
  init?: string | undefined;
  sample?: unknown;
  x?: unknown;
  eps?: number | undefined;
  restarts?: number | undefined;
  blur?: number | undefined;
  jitter?: number | undefined;
  view?: string | undefined;
}

/**
 * The start point: as given, else implied by sample or x, else the preset's. The default start is mid-range gray
 * plus seeded noise, not all-black: at x = 0 many ReLU networks have exactly zero gradient (every first-layer unit
 * off), and the search would never move.
 */
export function startOf(g: Given): string {
  return g.init ?? (g.sample !== undefined ? 'sample' : g.x !== undefined ? 'image' : g.settings.init);
}

/** A regularizer's value: as given, else the preset's, scaled to the model's input range. */
export function regularizerOf(name: RegularizerName, value: number | undefined, settings: PresetSettings, range: { min: number; max: number }): number {
  return value ?? presetWeight(name, settings[name], range);
}

/** The step size when lr is left out: the preset's fraction of the model's input range. */
export const defaultLr = (settings: PresetSettings, range: { min: number; max: number }): number => settings.lrFraction * (range.max - range.min);

/** The colour map when left out: diverging for a difference image (the middle colour is zero), else gray. */
export const defaultColormap = (view: string | undefined): 'diverging' | 'gray' => (view === 'delta' ? 'diverging' : 'gray');

/** The PNG enlargement when left out: about 224 pixels across. */
export const defaultScale = (height: number, width: number): number => Math.max(1, Math.round(224 / Math.max(height, width)));

/** An animation's frames when left out: 32, or one per step when there are fewer steps. */
export const DEFAULT_FRAMES = 32;
export const MAX_FRAMES = 128;
export const defaultFrames = (steps: number): number => Math.min(DEFAULT_FRAMES, steps + 1);

/** Whether the result depends on the seed: a random start, or jitter. */
export const usesSeed = (g: Given): boolean => {
  const init = startOf(g);
  return init === 'uniform' || init === 'normal' || init === 'dark' || (g.jitter ?? g.settings.jitter) > 0;
};

/**
 * Parameters that change nothing given the others, so a canonical URL leaves them out: the ball's norm and
 * radius when the radius is 0, the blur period when there is no blur, the pick among a single start, and the
 * seed when nothing is random.
 */
export function irrelevant(name: string, g: Given): boolean {
  switch (name) {
    case 'eps':
    case 'norm':
      return (g.eps ?? 0) === 0;
    case 'blur_every':
      return (g.blur ?? g.settings.blur) === 0;
    case 'pick':
      return (g.restarts ?? 1) === 1;
    case 'seed':
      return !usesSeed(g);
    default:
      return false;
  }
}
