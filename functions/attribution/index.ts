/** Attribution methods: why the model gives class K its score for this input. */
export { attribute, rowsOf, type MethodParameters } from './attribute.js';
export { baseline, blurSigma } from './baseline.js';
export { INTEGRATED_DEFAULTS } from './integrated.js';
export { pixelValues } from './pixels.js';
export { SMOOTHGRAD_DEFAULTS } from './smoothgrad.js';
export { AttributionError, BASELINES, METHODS, type Attribution, type AttributionInput, type BaselineName, type Completeness, type MethodName } from './types.js';
