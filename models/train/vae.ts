/**
 * The image priors: variational autoencoders (Kingma & Welling 2014) whose decoders are the generators G: z -> image
 * that `prior=` searches through. Only the decoder ships; the encoder exists to train it.
 *
 *   encoder: x [N, 784] -> Dense(h, relu) -> Dense(2d)  = (mu, log sigma^2)
 *   z = mu + sigma * eps, eps ~ N(0, I)  (the reparameterization trick)
 *   decoder: z [N, d] -> Dense(h, relu) -> Dense(h2, relu) -> Dense(784, sigmoid) -> [N, 28, 28]
 *   loss = sum_pixels BCE(x, G(z)) + beta * KL(N(mu, sigma^2) || N(0, I))    (per image, averaged over the batch)
 *
 * Dense layers only: a step of the search runs G forward and backward at batch 1, where onnxruntime's cost is a
 * few matrix-vector products; a transposed-convolution decoder of similar quality costs several times more.
 * Deterministic: seeded initializers, our Prng for the order and a fresh seed per batch for eps.
 */
import * as tf from '@tensorflow/tfjs';
import { HEIGHT, PIXELS, WIDTH } from './data.js';
import { Prng } from './prng.js';

export interface PriorRecipe {
  id: string;
  title: string;
  /** what it was trained on, for the manifest */
  data: string;
  latent: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** weight of the KL term */
  beta: number;
  seed: number;
}

export interface Vae {
  encoder: tf.Sequential;
  decoder: tf.Sequential;
}

export function architectureOf(r: PriorRecipe): string {
  return `z[${r.latent}] -> ${r.hidden.map((h) => `Dense(${h}, relu)`).join(' -> ')} -> Dense(784, sigmoid) -> Reshape(28x28)`;
}

export function buildVae(r: PriorRecipe): Vae {
  let k = r.seed;
  const init = () => tf.initializers.glorotUniform({ seed: ++k });
  const encoder = tf.sequential({
    name: `${r.id.replace(/-/g, '_')}_encoder`,
    layers: [
      tf.layers.flatten({ inputShape: [HEIGHT, WIDTH], name: 'flatten' }),
      ...[...r.hidden].reverse().map((units, i) => tf.layers.dense({ units, activation: 'relu', name: `enc_dense_${i}`, kernelInitializer: init() })),
      tf.layers.dense({ units: 2 * r.latent, name: 'enc_moments', kernelInitializer: init() }),
    ],
  });
  const decoder = tf.sequential({
    name: `${r.id.replace(/-/g, '_')}_decoder`,
    layers: [
      ...r.hidden.map((units, i) => tf.layers.dense({
        units, activation: 'relu', name: `dense_${i}`, kernelInitializer: init(), ...(i === 0 ? { inputShape: [r.latent] } : {}),
      })),
      tf.layers.dense({ units: PIXELS, activation: 'sigmoid', name: 'dense_out', kernelInitializer: init() }),
      tf.layers.reshape({ targetShape: [HEIGHT, WIDTH], name: 'image' }),
    ],
  });
  return { encoder, decoder };
}

export interface EpochLog { epoch: number; reconstruction: number; kl: number; seconds: number }

/** Trains on `images` (bytes, count x 784); returns the wall-clock seconds of training. */
export async function trainVae(vae: Vae, r: PriorRecipe, images: Uint8Array, count: number, log: (s: string) => void = console.log): Promise<number> {
  const rng = new Prng(r.seed);
  const optimizer = tf.train.adam(r.learningRate);
  const vars = [...vae.encoder.trainableWeights, ...vae.decoder.trainableWeights].map((w) => w.read() as tf.Variable);
  let seconds = 0;
  for (let epoch = 1; epoch <= r.epochs; epoch++) {
    const t0 = performance.now();
    const order = rng.permutation(count);
    let recSum = 0;
    let klSum = 0;
    for (let start = 0; start < count; start += r.batchSize) {
      const idx = order.subarray(start, Math.min(start + r.batchSize, count));
      const n = idx.length;
      const xs = new Float32Array(n * PIXELS);
      for (let i = 0; i < n; i++) {
        const src = images.subarray(idx[i]! * PIXELS, (idx[i]! + 1) * PIXELS);
        for (let p = 0; p < PIXELS; p++) xs[i * PIXELS + p] = src[p]! / 255;
      }
      const seed = rng.seed();
      const x = tf.tensor3d(xs, [n, HEIGHT, WIDTH]);
      let rec = 0;
      let kl = 0;
      optimizer.minimize(() => {
        const moments = vae.encoder.apply(x, { training: true }) as tf.Tensor2D;
        const mu = moments.slice([0, 0], [n, r.latent]);
        const logVar = moments.slice([0, r.latent], [n, r.latent]);
        const eps = tf.randomNormal([n, r.latent], 0, 1, 'float32', seed);
        const z = mu.add(logVar.mul(0.5).exp().mul(eps));
        const y = (vae.decoder.apply(z, { training: true }) as tf.Tensor).clipByValue(1e-6, 1 - 1e-6);
        // Bernoulli log-likelihood of the pixels, summed per image
        const bce = x.mul(y.log()).add(tf.scalar(1).sub(x).mul(tf.scalar(1).sub(y).log())).neg().sum([1, 2]).mean();
        // KL(N(mu, s^2) || N(0, 1)) = -1/2 sum(1 + log s^2 - mu^2 - s^2)
        const klTerm = tf.scalar(1).add(logVar).sub(mu.square()).sub(logVar.exp()).sum(1).mul(-0.5).mean();
        rec = bce.dataSync()[0]!;
        kl = klTerm.dataSync()[0]!;
        return bce.add(klTerm.mul(r.beta)) as tf.Scalar;
      }, false, vars);
      x.dispose();
      recSum += rec * n;
      klSum += kl * n;
    }
    const s = (performance.now() - t0) / 1000;
    seconds += s;
    log(`${r.id} epoch ${epoch}/${r.epochs}: reconstruction ${(recSum / count).toFixed(2)}, KL ${(klSum / count).toFixed(2)}, ${s.toFixed(1)} s`);
  }
  optimizer.dispose();
  return seconds;
}
