/**
 * npm run examples: renders the example images shown in README.md (site/public/examples/) through the API app,
 * so the pictures are exactly what their URLs return.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createApp } from '../../api/app.js';
import { memoryCache } from '../../api/cache.js';
import { filePriors, fileRegistry, fileSamples } from './registry.js';
import { loadOrt } from './ort.js';
import { instantiateKernel } from './kernel.js';
import { builtinProgram } from './programs.js';

export const EXAMPLES: [file: string, url: string][] = [
  ['sneaker-mlp.png', '/api/v1/maximize?model=fashion-mlp&class=Sneaker'],
  ['sneaker-mlp.gif', '/api/v1/maximize?model=fashion-mlp&class=Sneaker&format=gif'],
  ['trouser-cnn-natural.gif', '/api/v1/maximize?model=fashion-cnn&class=Trouser&preset=natural&format=gif'],
  ['trouser-cnn-exemplars.png', '/api/v1/exemplars?model=fashion-cnn&class=Trouser'],
  ['trouser-cnn-natural.png', '/api/v1/maximize?model=fashion-cnn&class=Trouser&preset=natural'],
  ['sneaker-mlp-prior.png', '/api/v1/maximize?model=fashion-mlp&class=Sneaker&prior=fashion'],
  ['bag-cnn-prior.png', '/api/v1/maximize?model=fashion-cnn&class=Bag&prior=fashion'],
  ['tshirt-sample-0.png', '/api/v1/samples/0?format=png&scale=8'],
  ['tshirt-to-bag-delta.png', '/api/v1/maximize?model=fashion-cnn&class=Bag&sample=0&eps=0.1&optimizer=sign&lr=0.01&steps=100&view=delta'],
  ['tshirt-to-bag-adversarial.png', '/api/v1/maximize?model=fashion-cnn&class=Bag&sample=0&eps=0.1&optimizer=sign&lr=0.01&steps=100'],
];

const out = fileURLToPath(new URL('../../../site/public/examples/', import.meta.url));
const app = createApp({ registry: fileRegistry(), priors: filePriors(), loadOrt, instantiateKernel, builtinProgram, samples: fileSamples, cache: memoryCache() });
for (const [file, url] of EXAMPLES) {
  const r = await app.request(`http://localhost${url}`);
  if (r.status !== 200) throw new Error(`${url} -> ${r.status} ${await r.text()}`);
  writeFileSync(`${out}${file}`, new Uint8Array(await r.arrayBuffer()));
  console.log(`${file}  <-  ${url}`);
}
