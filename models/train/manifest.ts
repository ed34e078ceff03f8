/** models/manifest.json: what the product knows about each bundled model. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ManifestEntry as RegistryEntry } from '../../functions/registry/manifest.js';

/** A trained model's entry: the registry's description plus how it was trained. */
export interface ManifestEntry extends RegistryEntry {
  output: { name: string; kind: 'probabilities' };
  /** name of the pre-softmax tensor in the ONNX graph */
  logits: string;
  training: {
    epochs: number;
    batchSize: number;
    optimizer: string;
    learningRate: number;
    seed: number;
    trainImages: number;
    testImages: number;
    seconds: number;
  };
  architecture: string;
}

export interface Manifest {
  models: ManifestEntry[];
}

export function readManifest(path: string): Manifest {
  if (!existsSync(path)) return { models: [] };
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Replaces (or adds) entries by id, keeping `order` for known ids. */
export function writeManifest(path: string, entries: ManifestEntry[], order: string[]): void {
  const byId = new Map(readManifest(path).models.map((m) => [m.id, m]));
  for (const e of entries) byId.set(e.id, e);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const models = [...byId.values()].sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
  writeFileSync(path, `${JSON.stringify({ models }, null, 2)}\n`);
}
