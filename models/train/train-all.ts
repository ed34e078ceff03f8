/**
 * `npm run train`: trains the bundled Fashion-MNIST models with tfjs (wasm backend), saves them in tfjs layers
 * format under models/tfjs/, exports them to ONNX, measures their test accuracy with onnxruntime-web, and writes
 * models/manifest.json and models/data/fashion-test-samples.bin; then trains the image priors (priors.ts) into
 * models/priors/.
 *
 *   npm run train                      # both models and both priors
 *   npm run train -- fashion-cnn       # one model (the other manifest entry is kept)
 *   npm run train -- digits            # one prior (fashion, digits)
 *   npm run train -- --export-only     # re-export the models from the saved tfjs models without training
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, type OnnxModel } from '../../functions/onnx/model.js';
import { buildCnn, CNN_RECIPE } from './cnn.js';
import { CLASSES, HEIGHT, LABELS, REPO_ROOT, WIDTH, loadTestSplit, loadTrainSplit, toFloats } from './data.js';
import { LOGITS_NAME, INPUT_NAME, OUTPUT_NAME, cnnToOnnx, mlpToOnnx, parameterCount } from './export-onnx.js';
import { readManifest, writeManifest, type ManifestEntry } from './manifest.js';
import { buildMlp, MLP_RECIPE } from './mlp.js';
import { PRIOR_SPECS, trainPrior } from './priors.js';
import { correctCount, createSession, probabilities } from './onnx-run.js';
import type { Recipe } from './recipe.js';
import { testSamplesFile } from './samples-file.js';
import { loadLayersModel, saveLayersModel } from './tfjs-files.js';
import { train } from './train-loop.js';
import { useWasmBackend } from './wasm-fixes.js';

const MODELS_DIR = join(REPO_ROOT, 'models');
const MANIFEST = join(MODELS_DIR, 'manifest.json');
const SAMPLES = join(MODELS_DIR, 'data', 'fashion-test-samples.bin');

interface Spec {
  recipe: Recipe;
  build: (seed: number) => tf.LayersModel;
  toOnnx: (model: tf.LayersModel, id: string) => OnnxModel;
}

const SPECS: Spec[] = [
  { recipe: MLP_RECIPE, build: buildMlp, toOnnx: mlpToOnnx },
  { recipe: CNN_RECIPE, build: buildCnn, toOnnx: cnnToOnnx },
];

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const exportOnly = args.includes('--export-only');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const known = [...SPECS, ...PRIOR_SPECS].map((s) => s.recipe.id);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) throw new Error(`unknown model ${unknown.join(', ')} (known: ${known.join(', ')})`);
  const specs = SPECS.filter((s) => wanted.length === 0 || wanted.includes(s.recipe.id));
  const priors = exportOnly ? [] : PRIOR_SPECS.filter((s) => wanted.length === 0 || wanted.includes(s.recipe.id));

  tf.enableProdMode(); // silences tfjs's console banner about tfjs-node
  await useWasmBackend();
  const trainSplit = loadTrainSplit();
  const testSplit = loadTestSplit();
  const previous = new Map(readManifest(MANIFEST).models.map((m) => [m.id, m]));
  const entries: ManifestEntry[] = [];

  for (const { recipe, build, toOnnx } of specs) {
    const tfjsDir = join(MODELS_DIR, 'tfjs', recipe.id);
    let model: tf.LayersModel;
    let seconds: number;
    if (exportOnly) {
      model = await loadLayersModel(tfjsDir);
      const before = previous.get(recipe.id);
      if (!before) throw new Error(`--export-only needs an existing manifest entry for ${recipe.id}`);
      seconds = before.training.seconds;
    } else {
      model = build(recipe.seed);
      const result = await train(model, recipe, trainSplit, testSplit);
      seconds = Math.round(result.seconds * 10) / 10;
      await saveLayersModel(model, tfjsDir);
    }

    const onnxModel = toOnnx(model, recipe.id);
    const bytes = encodeModel(onnxModel);
    const file = `${recipe.id}.onnx`;
    writeFileSync(join(MODELS_DIR, file), bytes);

    // Measure the file as written, with the runtime the product uses.
    const session = await createSession(bytes);
    const correct = await correctCount(session, testSplit);
    const accuracy = correct / testSplit.count;

    // Sanity check of the export against tfjs on the first images of each class.
    const probe = Array.from({ length: CLASSES }, (_, c) => c * (testSplit.count / CLASSES));
    let maxDiff = 0;
    for (const start of probe) {
      const x = toFloats(testSplit, start, 10);
      const onnxProbs = await probabilities(session, x, 10);
      const tfProbs = tf.tidy(() => (model.predict(tf.tensor3d(x, [10, HEIGHT, WIDTH])) as tf.Tensor).dataSync());
      for (let i = 0; i < onnxProbs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onnxProbs[i]! - tfProbs[i]!));
    }
    await session.release();
    console.log(`${recipe.id}: ${file} ${(bytes.byteLength / 1024).toFixed(0)} KiB, onnxruntime-web accuracy ${(accuracy * 100).toFixed(2)}% `
      + `(${correct}/${testSplit.count}), max |onnx - tfjs| ${maxDiff.toExponential(2)}`);
    if (maxDiff > 1e-4) throw new Error(`${recipe.id}: the ONNX export disagrees with tfjs (max diff ${maxDiff})`);

    entries.push({
      id: recipe.id,
      title: recipe.title,
      file,
      labels: [...LABELS],
      input: { name: INPUT_NAME, shape: [HEIGHT, WIDTH], min: 0, max: 1 },
      output: { name: OUTPUT_NAME, kind: 'probabilities' },
      logits: LOGITS_NAME,
      accuracy,
      sha256: sha256(bytes),
      parameters: parameterCount(onnxModel),
      training: {
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        optimizer: recipe.optimizer,
        learningRate: recipe.learningRate,
        seed: recipe.seed,
        trainImages: trainSplit.count,
        testImages: testSplit.count,
        seconds,
      },
      architecture: recipe.architecture,
    });
    model.dispose();
  }

  if (specs.length) {
    mkdirSync(join(MODELS_DIR, 'data'), { recursive: true });
    writeFileSync(SAMPLES, testSamplesFile(testSplit));
    writeManifest(MANIFEST, entries, SPECS.map((s) => s.recipe.id));
    console.log(`wrote ${MANIFEST} and ${SAMPLES}`);
  }
  for (const spec of priors) await trainPrior(spec);
}

await main();
