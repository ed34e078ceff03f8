import type { ReadFile } from './types.js';

/**
 * models/priors/manifest.json: the learned image priors (generators G: z -> image) that `prior=` searches through.
 * Each is an ONNX graph with one input z [N, latent] and one output, an image [N, height, width] in [min, max].
 */

export interface PriorEntry {
  /** what `prior=` names it by */
  id: string;
  title: string;
  /** file name of the ONNX generator, relative to models/priors/ */
  file: string;
  input: { name: string; latent: number };
  output: { name: string; shape: number[]; min: number; max: number };
  /** hex SHA-256 of the ONNX file */
  sha256: string;
  parameters: number;
  architecture: string;
  training: Record<string, unknown>;
}

/** A prior with its ONNX bytes. */
export interface PriorRecord {
  info: PriorEntry;
  bytes: Uint8Array;
}

/** The priors a host offers (models/priors/, read from disk or bundled). */
export interface PriorRegistry {
  list(): PriorEntry[];
  get(id: string): Promise<PriorRecord | undefined>;
}

/** A registry over the manifest's entries and a way to read a file by name. */
export function priorRegistry(manifest: unknown, read: ReadFile): PriorRegistry {
  const entries = (manifest as { priors?: PriorEntry[] }).priors ?? [];
  const bytes = new Map<string, Uint8Array>();
  return {
    list: () => entries,
    async get(id) {
      const info = entries.find((e) => e.id === id);
      if (!info) return undefined;
      let b = bytes.get(info.file);
      if (!b) {
        b = await read(info.file);
        if (!b) throw new Error(`prior file ${info.file} is not available`);
        bytes.set(info.file, b);
      }
      return { info, bytes: b };
    },
  };
}
