/**
 * Query parameters of GET /api/v1/maximize: their names, types, bounds and defaults (this object is also the
 * source of the OpenAPI document).
 */
import * as z from 'zod';
import { OPTIMIZERS } from '../../engine/optimizers.js';
import { COLORMAPS } from '../../encode/colormap.js';
import { FRAME_SPACINGS } from '../../encode/frames.js';
import { LOGIT_TARGETS } from '../../compiler/target.js';
import { DEFAULT_FRAMES, DEFAULT_SETTINGS, DEFAULT_STEPS, INITS, MAX_FRAMES, NATURAL_PRESET, PRESETS, PRIOR_SETTINGS } from '../maximize/defaults.js';
import { BASE64URL, q } from './query.js';

export const maximizeQuery = z.object({
  model: z.string().max(128).describe('Model id, e.g. fashion-mlp (see /api/v1/models).'),
  class: z.string().max(64).optional()
    .describe('The class to maximize: a 0-based index or a label (case-insensitive), e.g. 7 or Sneaker. Required unless layer/unit is given.'),
  minus: z.string().max(64).optional()
    .describe('Contrast: maximize score(class) - score(minus). Index or label.'),
  target: z.enum(LOGIT_TARGETS).default('logit')
    .describe('What is maximized: the unnormalized class score (logit, the default recommended by Simonyan et al. 2013), the log-probability or the probability.'),
  layer: z.string().max(256).optional()
    .describe('Name of an intermediate tensor of the ONNX graph; with unit, maximize that unit (the mean over a feature map channel) instead of a class.'),
  unit: q.int(0, 1_000_000).optional().describe('Unit (index along axis 1) of the tensor named by layer.'),
  optimizer: z.enum(OPTIMIZERS).default('adam')
    .describe('adam (default), sgd, normalized (gradient scaled to unit L2 norm), sign (projected sign-gradient steps, as in adversarial work), rmsprop.'),
  lr: q.positive(1e6).optional().describe(`Step size in input units. Default ${DEFAULT_SETTINGS.lrFraction} x (max - min); ${NATURAL_PRESET.lrFraction} x (max - min) with preset=natural; ${PRIOR_SETTINGS.lr} (in z units) with a prior.`),
  steps: q.int(1, 4096).default(DEFAULT_STEPS).describe(`The fixed budget of gradient steps. Left out: ${DEFAULT_STEPS} (${PRIOR_SETTINGS.steps} with prior=), or as many of them as fit the CPU limit of a request (the result then says so); given: exactly that many, or a 422 when they do not fit.`),
  init: z.enum(INITS).optional()
    .describe('Start point: normal (default: middle of the range plus seeded Gaussian noise, std = range/6), dark (the natural preset\'s: the low end of the range plus seeded half-normal noise, std = 0.15 x range), zeros, gray (middle of the range), uniform (seeded), sample (a test image, see sample), image (see x). With a prior: normal (default, z ~ N(0, I) seeded) or zeros.'),
  sample: q.int(0, 99_999).optional().describe('Index of a shipped test image to start from (implies init=sample).'),
  x: z.string().max(16_000).regex(/^[A-Za-z0-9_-]+={0,2}$/, BASE64URL).optional()
    .describe('A start image in the URL: base64url of its 8-bit pixels, row-major (784 bytes for 28x28). Implies init=image.'),
  seed: q.int(0, 4_294_967_295).default(0).describe('Seed of the random start points and jitter.'),
  min: z.coerce.number().optional().describe('Lowest allowed input value (default: the model range minimum).'),
  max: z.coerce.number().optional().describe('Highest allowed input value (default: the model range maximum).'),
  eps: q.number(0, 1e6).default(0).describe('Radius of the ball around the start image the result must stay in (0: no ball).'),
  norm: z.enum(['linf', 'l2']).default('linf').describe('Norm of the eps ball.'),
  mask: z.string().max(16_000).optional()
    .describe('Pixels allowed to change: a rectangle "left,top,right,bottom" (pixels, right/bottom exclusive) or base64url of a row-major bitmap, 1 bit per pixel, most significant bit first.'),
  l2: q.number(0, 1e4).optional().describe('Weight of the L2 penalty sum (x - x0)^2, in the model\'s units (the preset\'s is 0.005 / range^2).'),
  l1: q.number(0, 1e4).optional().describe('Weight of the L1 penalty sum |x - x0|, in the model\'s units.'),
  tv: q.number(0, 1e4).optional().describe('Weight of the total-variation penalty (squared neighbour differences), in the model\'s units (the preset\'s is 0.05 / range^2).'),
  blur: q.number(0, 8).optional().describe('Standard deviation (pixels) of a Gaussian blur applied every blur_every steps (0: off).'),
  blur_every: q.int(1, 4096).optional().describe('Blur period in steps.'),
  jitter: q.int(0, 16).optional().describe('Random shift of up to this many pixels before each gradient (0: off).'),
  preset: z.enum(PRESETS).default('none').describe('natural: a set of regularizers and a dark start that give natural-looking class images, scaled to the model\'s input range (explicit parameters override it).'),
  prior: z.string().max(64).regex(/^[a-z0-9-]+$/, 'a prior id').optional()
    .describe('A learned image prior (fashion or digits, see /api/v1/models): search the code z of its generator G instead of the pixels, so the answer is an image G(z) of the kind the prior was trained on. Pixel constraints and regularizers (eps, mask, x, sample, min, max, l1, l2, tv, blur, jitter, preset) do not apply.'),
  zmax: q.number(0.1, 100).optional()
    .describe('With prior: the code stays in the ball ||z||_2 <= zmax (default: sqrt of the latent size, where the prior N(0, I) puts its codes).'),
  restarts: q.int(1, 64).default(1).describe('Number of starts optimized together in one batch (with a random init, each restart after the first starts from seeded blobs of its own).'),
  pick: z.enum(['best', 'all']).default('best').describe('best: the restart with the highest objective; all: every restart, as a grid (png) or a list (json).'),
  format: z.enum(['png', 'json', 'gif']).default('png').describe('png image, json (probabilities, image values, trace) or gif: the ascent as a looping animation, from the start to the result (the last frame is the PNG).'),
  frames: q.int(2, MAX_FRAMES).optional().describe(`format=gif: how many images of the ascent the animation shows (default ${DEFAULT_FRAMES}, at most steps + 1).`),
  frame_spacing: z.enum(FRAME_SPACINGS).optional().describe('format=gif: which steps become frames: log (default; evenly spaced in log(step + 1), so the fast early change is visible) or linear.'),
  caption: z.enum(['1', '0']).optional().describe('format=gif: 1 (default) draws a progress bar, the target probability and the step on every frame but the last; 0 leaves the frames bare.'),
  scale: q.int(1, 32).optional().describe('Nearest-neighbour enlargement of the PNG (default: about 224 pixels wide).'),
  colormap: z.enum(COLORMAPS).optional().describe('Colour map of single-channel PNGs (default: gray for view=image, diverging for view=delta).'),
  view: z.enum(['image', 'delta']).default('image').describe('image: the result; delta: result minus start image, scaled by its largest change (diverging colours, the middle colour is zero).'),
});

export type MaximizeQuery = z.output<typeof maximizeQuery>;

