/**
 * The models Ascent trains itself (models/) and its image priors (models/priors/): their manifests and ONNX files
 * ship inside the Worker bundle, with the models' precompiled class programs, which the kernel runs (kernel.ts).
 */
import manifest from '../../../models/manifest.json';
import mlpOnnx from '../../../models/fashion-mlp.onnx';
import cnnOnnx from '../../../models/fashion-cnn.onnx';
import priorManifest from '../../../models/priors/manifest.json';
import fashionPrior from '../../../models/priors/fashion.onnx';
import digitsPrior from '../../../models/priors/digits.onnx';
import { manifestEntries, manifestRegistry } from '../../registry/manifest.js';
import { priorRegistry } from '../../registry/priors.js';
import type { ModelRegistry } from '../../registry/types.js';
import { hasBuiltinProgram } from './kernel.js';

const FILES: Record<string, ArrayBuffer> = {
  'fashion-mlp.onnx': mlpOnnx,
  'fashion-cnn.onnx': cnnOnnx,
};

export const builtinRegistry: ModelRegistry = manifestRegistry(manifestEntries(manifest), (file) => {
  const bytes = FILES[file];
  return bytes ? new Uint8Array(bytes) : undefined;
}, hasBuiltinProgram);

const PRIOR_FILES: Record<string, ArrayBuffer> = {
  'fashion.onnx': fashionPrior,
  'digits.onnx': digitsPrior,
};

/** The image priors (models/priors/), bundled like the models. */
export const builtinPriors = priorRegistry(priorManifest, (file) => (PRIOR_FILES[file] ? new Uint8Array(PRIOR_FILES[file]) : undefined));
