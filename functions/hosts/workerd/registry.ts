/**
 * The models Ascent trains itself (models/) and its image priors (models/priors/): their manifests and ONNX files
 * ship inside the Worker bundle, with the models' precompiled class programs, which the kernel runs (kernel.ts).
 */
import manifest from '../../../models/manifest.json';
import priorManifest from '../../../models/priors/manifest.json';
import { manifestEntries, manifestRegistry } from '../../registry/manifest.js';
import { priorRegistry } from '../../registry/priors.js';
import type { ModelRegistry } from '../../registry/types.js';
import { hasBuiltinProgram } from './kernel.js';

type Import = () => Promise<{ default: ArrayBuffer }>;

const FILES: Record<string, Import> = {
  'fashion-mlp.onnx': () => import('../../../models/fashion-mlp.onnx'),
  'fashion-cnn.onnx': () => import('../../../models/fashion-cnn.onnx'),
};

const PRIOR_FILES: Record<string, Import> = {
  'fashion.onnx': () => import('../../../models/priors/fashion.onnx'),
  'digits.onnx': () => import('../../../models/priors/digits.onnx'),
};

/** A bundled file's bytes, imported on first use (a fresh isolate loads only the models it is asked for). */
function reader(files: Record<string, Import>): (file: string) => Promise<Uint8Array | undefined> {
  return async (file) => (Object.hasOwn(files, file) ? new Uint8Array((await files[file]!()).default) : undefined);
}

export const builtinRegistry: ModelRegistry = manifestRegistry(manifestEntries(manifest), reader(FILES), hasBuiltinProgram);

/** The image priors (models/priors/), bundled like the models. */
export const builtinPriors = priorRegistry(priorManifest, reader(PRIOR_FILES));
