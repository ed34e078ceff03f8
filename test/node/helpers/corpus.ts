/**
 * The corpus of real ONNX classifiers exported by other tools (Keras/tf2onnx, PyTorch, CNTK, Chainer, skl2onnx),
 * kept outside the repository (their licences vary). Tests that use it say so and skip when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = fileURLToPath(new URL('../../../../shared/onnx-corpus/', import.meta.url));

export interface CorpusEntry {
  file: string;
  inputs: { name: string; dtype: string; shape: (number | string | null)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string | null)[] }[];
  input_preprocessing: string;
  expectation: string;
  output_kind: string;
  op_types: Record<string, number>;
}

export const corpusPresent = existsSync(`${CORPUS_DIR}corpus.json`);
export const CORPUS_MISSING = `the ONNX corpus is not at ${CORPUS_DIR} (shared/onnx-corpus next to the checkout); corpus tests are skipped`;

export function corpus(): CorpusEntry[] {
  if (!corpusPresent) return [];
  return JSON.parse(readFileSync(`${CORPUS_DIR}corpus.json`, 'utf8')) as CorpusEntry[];
}

export const corpusBytes = (file: string) => new Uint8Array(readFileSync(`${CORPUS_DIR}${file}`));

/** Models the corpus expects to be differentiated (the two edge cases are expected to be refused). */
export const differentiable = (e: CorpusEntry) => e.expectation.startsWith('differentiate');

/** The input preprocessing under which a corpus model classifies best: pixel p in [0, 1] -> model input. */
export function preprocessing(e: CorpusEntry): { scale: number; offset: number; min: number; max: number } {
  if (e.input_preprocessing.startsWith('x*255')) return { scale: 255, offset: 0, min: 0, max: 255 };
  if (e.input_preprocessing.startsWith('(x-0.5)/0.5')) return { scale: 2, offset: -1, min: -1, max: 1 };
  return { scale: 1, offset: 0, min: 0, max: 1 };
}
