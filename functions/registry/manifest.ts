/** models/manifest.json: the description of the models Ascent trains itself. */
import type { ModelInfo, ModelRegistry, ReadFile } from './types.js';

export interface ManifestEntry {
  id: string;
  title: string;
  /** file name of the ONNX model, relative to models/ */
  file: string;
  labels: string[];
  input: { name: string; shape: number[]; min: number; max: number };
  output: { name: string; kind: ModelInfo['output']['kind'] };
  /** fraction of the 10,000 test images classified correctly, measured by onnxruntime-web on the ONNX file */
  accuracy: number;
  /** hex SHA-256 of the ONNX file */
  sha256: string;
  parameters: number;
  architecture?: string;
  training?: object;
}

export function manifestEntries(manifest: unknown): ManifestEntry[] {
  return Array.isArray(manifest) ? (manifest as ManifestEntry[]) : (manifest as { models: ManifestEntry[] }).models;
}

export function manifestInfo(e: ManifestEntry): ModelInfo {
  return {
    id: e.id,
    title: e.title,
    labels: e.labels,
    input: e.input,
    output: e.output,
    accuracy: e.accuracy,
    sha256: e.sha256,
    parameters: e.parameters,
    ...(e.architecture ? { architecture: e.architecture } : {}),
    ...(e.training ? { training: e.training as Record<string, unknown> } : {}),
    source: 'builtin',
  };
}

/**
 * The registry of a manifest's models, their ONNX bytes read by the host (`bytesOf(file)`, undefined if absent)
 * and run by the kernel when the host has their precompiled program (`hasProgram(id)`, npm run build:programs).
 */
export function manifestRegistry(
  entries: readonly ManifestEntry[], bytesOf: ReadFile, hasProgram: (id: string) => boolean,
): ModelRegistry {
  const infoOf = (e: ManifestEntry): ModelInfo => ({ ...manifestInfo(e), engine: hasProgram(e.id) ? 'kernel' : 'onnxruntime' });
  // each model's bytes are read once (the host's read may be an import or a file read)
  const read = new Map<string, Uint8Array>();
  return {
    async list() {
      return entries.map(infoOf);
    },
    async get(id) {
      const e = entries.find((m) => m.id === id);
      if (!e) return undefined;
      let bytes = read.get(e.file);
      if (!bytes) {
        bytes = await bytesOf(e.file);
        if (!bytes) throw new Error(`model file ${e.file} is not available`);
        read.set(e.file, bytes);
      }
      return { info: infoOf(e), bytes };
    },
  };
}
