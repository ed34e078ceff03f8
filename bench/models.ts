/**
 * The models the benchmark runs: Ascent's two Fashion-MNIST classifiers (models/) and, when the shared corpus
 * of real exports sits next to the checkout (../shared/onnx-corpus/), each of its models that the corpus
 * expects to be differentiated.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { manifestEntries } from '../functions/registry/manifest.js';
import { readSamples } from '../functions/registry/samples.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CORPUS_DIR = fileURLToPath(new URL('../../shared/onnx-corpus/', import.meta.url));

export interface BenchModel {
  id: string;
  /** the ONNX file */
  path: string;
  bytes: Uint8Array;
  /** graph input and output names, when known (else the compiler picks the only float ones) */
  input?: string;
  output?: string;
  /** the input value range */
  min: number;
  max: number;
  source: 'builtin' | 'corpus';
}

export const BUILTIN_IDS = ['fashion-mlp', 'fashion-cnn'] as const;
export type BuiltinId = (typeof BUILTIN_IDS)[number];

export function builtinModel(id: BuiltinId): BenchModel {
  const entries = manifestEntries(JSON.parse(readFileSync(`${ROOT}models/manifest.json`, 'utf8')));
  const e = entries.find((m) => m.id === id);
  if (!e) throw new Error(`models/manifest.json has no model ${id}`);
  return {
    id,
    path: `${ROOT}models/${e.file}`,
    bytes: new Uint8Array(readFileSync(`${ROOT}models/${e.file}`)),
    input: e.input.name,
    output: e.output.name,
    min: e.input.min,
    max: e.input.max,
    source: 'builtin',
  };
}

interface CorpusEntry {
  file: string;
  expectation: string;
  input_preprocessing: string;
}

export const corpusPresent = () => existsSync(`${CORPUS_DIR}corpus.json`);

/** The corpus models expected to be differentiated (empty when the corpus is absent). */
export function corpusModels(): BenchModel[] {
  if (!corpusPresent()) return [];
  const entries = JSON.parse(readFileSync(`${CORPUS_DIR}corpus.json`, 'utf8')) as CorpusEntry[];
  return entries
    .filter((e) => e.expectation.startsWith('differentiate'))
    .map((e) => {
      // input range under which the model classifies best (corpus.json: "x in [0,1]", "x*255", "(x-0.5)/0.5")
      const p = e.input_preprocessing;
      const [min, max] = p.startsWith('x*255') ? [0, 255] : p.startsWith('(x-0.5)/0.5') ? [-1, 1] : [0, 1];
      return { id: e.file.replace(/\.onnx$/, ''), path: `${CORPUS_DIR}${e.file}`, bytes: new Uint8Array(readFileSync(`${CORPUS_DIR}${e.file}`)), min, max, source: 'corpus' as const };
    });
}

/** Test image `index` of models/data/fashion-test-samples.bin as floats in [0, 1], with its label. */
export function testImage(index: number): { pixels: Float32Array; label: number } {
  const s = readSamples(new Uint8Array(readFileSync(`${ROOT}models/data/fashion-test-samples.bin`)));
  const size = s.height * s.width;
  const pixels = Float32Array.from(s.pixels.subarray(index * size, (index + 1) * size), (v) => v / 255);
  return { pixels, label: s.labels[index]! };
}
