/**
 * The models Ascent trains itself (models/): their manifest and ONNX files ship inside the Worker bundle, with
 * their precompiled class programs, which the kernel runs (kernel.ts).
 */
import manifest from '../../../models/manifest.json';
import mlpOnnx from '../../../models/fashion-mlp.onnx';
import cnnOnnx from '../../../models/fashion-cnn.onnx';
import { manifestEntries, manifestInfo } from '../../registry/manifest.js';
import type { ModelInfo, ModelRegistry } from '../../registry/types.js';
import { hasBuiltinProgram } from './kernel.js';

const FILES: Record<string, ArrayBuffer> = {
  'fashion-mlp.onnx': mlpOnnx,
  'fashion-cnn.onnx': cnnOnnx,
};

const entries = manifestEntries(manifest);
const infoOf = (e: (typeof entries)[number]): ModelInfo => ({ ...manifestInfo(e), engine: hasBuiltinProgram(e.id) ? 'kernel' : 'onnxruntime' });

export const builtinRegistry: ModelRegistry = {
  async list() {
    return entries.map(infoOf);
  },
  async get(id) {
    const e = entries.find((m) => m.id === id);
    if (!e) return undefined;
    const bytes = FILES[e.file];
    if (!bytes) throw new Error(`model file ${e.file} is not bundled`);
    return { info: infoOf(e), bytes: new Uint8Array(bytes) };
  },
};
