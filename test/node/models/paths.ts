import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ManifestEntry } from '../../../models/train/manifest.js';

export const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

export function manifestEntries(): ManifestEntry[] {
  const json = JSON.parse(readFileSync(`${MODELS_DIR}manifest.json`, 'utf8')) as { models: ManifestEntry[] };
  return json.models;
}

export const MODEL_IDS = ['fashion-mlp', 'fashion-cnn'] as const;
