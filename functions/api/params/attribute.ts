/**
 * Query parameters of /api/v1/attribute: their names, types, bounds and defaults (this object is also the source
 * of the OpenAPI document).
 */
import * as z from 'zod';
import { BASELINES, INTEGRATED_DEFAULTS, METHODS, SMOOTHGRAD_DEFAULTS } from '../../attribution/index.js';
import { LOGIT_TARGETS } from '../../compiler/target.js';
import { COLORMAPS } from '../../encode/colormap.js';
import { q } from './query.js';

export const DEFAULT_METHOD = 'integrated';

export const attributeQuery = z.object({
  model: z.string().max(128).describe('Model id, e.g. fashion-cnn (see /api/v1/models).'),
  class: z.string().max(64).optional()
    .describe('The class whose score is explained: a 0-based index or a label (case-insensitive). Default: the class the model predicts for the image.'),
  method: z.enum(METHODS).default(DEFAULT_METHOD)
    .describe('gradient: d score / d x (Simonyan et al. 2013). gradxinput: gradient x (input - baseline). smoothgrad: mean gradient over n noisy copies (Smilkov et al. 2017). integrated: Integrated Gradients from a baseline (Sundararajan et al. 2017), with its completeness check. gradcam: Grad-CAM on a convolutional layer (Selvaraju et al. 2017). gradxinput and integrated from the black baseline keep following the input\'s shape when the model\'s weights are randomized (Adebayo et al. 2018); gradient, smoothgrad and gradcam do not.'),
  target: z.enum(LOGIT_TARGETS).default('logit')
    .describe('The score explained: the unnormalized class score (logit, default), the log-probability or the probability.'),
  sample: q.int(0, 99_999).optional().describe('Index of a shipped test image to explain (or give x, or POST a PNG).'),
  x: z.string().max(16_000).regex(/^[A-Za-z0-9_-]+={0,2}$/, 'base64url').optional()
    .describe('The image in the URL: base64url of its 8-bit pixels, row-major (HWC for colour; 784 bytes for 28x28).'),
  n: q.int(1, 256).optional().describe(`smoothgrad: number of noisy copies (default ${SMOOTHGRAD_DEFAULTS.n}).`),
  sigma: q.number(0, 2).optional().describe(`smoothgrad: standard deviation of the noise as a fraction of the input range (default ${SMOOTHGRAD_DEFAULTS.sigma}).`),
  steps: q.int(2, 4096).optional()
    .describe(`integrated: points on the straight path from the baseline, trapezoid rule (default ${INTEGRATED_DEFAULTS.steps}: completeness within 1 % on the built-in models' test images).`),
  baseline: z.enum(BASELINES).optional()
    .describe(`integrated and gradxinput: black (the range minimum, default), gray (the middle of the range), blur (the image blurred, sigma = 10/224 of its size), uniform (seeded noise).`),
  seed: q.int(0, 4_294_967_295).optional().describe('smoothgrad noise and the uniform baseline: the seed (default 0).'),
  layer: z.string().max(256).optional()
    .describe('gradcam: the feature map [N, C, H, W] to use, a tensor name of the ONNX graph (default: the output of the last convolution with a spatial extent, after its activation).'),
  format: z.enum(['png', 'json']).default('png').describe('png heatmap or json (attribution values in the input\'s layout, probabilities, parameters, completeness).'),
  scale: q.int(1, 32).optional().describe('Nearest-neighbour enlargement of the PNG (default: about 224 pixels wide).'),
  colormap: z.enum(COLORMAPS).optional()
    .describe('diverging (default for signed maps: blue negative, white zero, red positive) or a magnitude map: magma (default for gradcam), viridis, gray (|value|).'),
  overlay: z.enum(['0', '1']).default('0').describe('1: draw the heatmap over the input in gray (opacity grows with |value|).'),
});

export type AttributeQuery = z.output<typeof attributeQuery>;
