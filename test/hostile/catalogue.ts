/**
 * The hostile catalogue: several hundred requests and files for every endpoint (queries with hostile values,
 * lying PNGs, ONNX files that ask for too much, wrong methods and media types), generated with fixed seeds so the
 * same list is sent every time. Shared by the workerd test (test/worker/hostile.test.ts: every answer a 2xx or a
 * 4xx problem) and `npm run load -- --hostile` (each request's time and the workerd process's memory rise; with
 * the heaviest requests the limits admit).
 */
import fc from 'fast-check';
import { arbModel, arbMutation, encodeModelProto, namedHostileFiles } from './onnx.js';
import { arbPng, grayPng, namedHostilePngs } from './png.js';
import { attributeQuery } from '../../functions/api/params/attribute.js';
import { exemplarsQuery } from '../../functions/api/params/exemplars.js';
import { maximizeQuery } from '../../functions/api/params/maximize.js';
import { predictQuery } from '../../functions/api/params/predict.js';
import { sampleQuery } from '../../functions/api/params/samples.js';

export interface Case {
  name: string;
  path: string;
  init?: RequestInit;
}

const SEED = 14;

/** Values a hostile client puts in a query: non-finite and huge numbers, odd spellings, long and odd text. */
const VALUES = ['0', '-1', '7', '0.5', '1e308', '-1e308', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '1e-400', ' 5',
  '', 'Sneaker', 'fashion-cnn', 'json', 'png', 'gif', 'all', 'natural', 'viridis', '4096', '4097', '64', '65', '32', '2e9',
  '4294967296', '%', '\u0000', '😀', 'a'.repeat(5000), '1,2,3,4', 'AAAA', '==', '__proto__', '-0'];

/** The parameters of each endpoint (and a base query that works), mutated one or two at a time. */
const names = (schema: { shape: object }, ...extra: string[]) => [...Object.keys(schema.shape), ...extra];
const ENDPOINTS: { path: string; base: Record<string, string>; names: string[]; runs: number }[] = [
  { path: '/api/v1/maximize', base: { model: 'fashion-mlp', class: '7', steps: '2' }, runs: 120, names: names(maximizeQuery, 'clas') },
  { path: '/api/v1/maximize/events', base: { model: 'fashion-mlp', class: '7', steps: '2' }, runs: 20, names: names(maximizeQuery) },
  { path: '/api/v1/predict', base: { model: 'fashion-mlp', sample: '1' }, runs: 50, names: names(predictQuery, 'format') },
  { path: '/api/v1/attribute', base: { model: 'fashion-mlp', sample: '1' }, runs: 40, names: names(attributeQuery) },
  { path: '/api/v1/exemplars', base: { model: 'fashion-mlp', class: '7' }, runs: 50, names: names(exemplarsQuery) },
  { path: '/api/v1/samples/3', base: {}, runs: 15, names: names(sampleQuery, 'k') },
  { path: '/api/v1/models', base: {}, runs: 10, names: ['title', 'labels', 'min'] },
];

function queryCases(): Case[] {
  const cases: Case[] = [];
  for (const e of ENDPOINTS) {
    const mutation = fc.array(fc.tuple(fc.constantFrom(...e.names), fc.constantFrom(...VALUES)), { minLength: 1, maxLength: 2 });
    for (const pairs of fc.sample(mutation, { seed: SEED, numRuns: e.runs })) {
      const q = new URLSearchParams(e.base);
      for (const [k, v] of pairs) q.set(k, v);
      cases.push({ name: `GET ${e.path} ${pairs.map(([k, v]) => `${k}=${v.slice(0, 12)}`).join(' ')}`, path: `${e.path}?${q}` });
    }
  }
  for (const id of ['fashion-mlp', 'nope', 'u-' + '0'.repeat(32), '..%2F..%2Fwrangler.toml', 'a'.repeat(3000)]) {
    cases.push({ name: `GET model ${id.slice(0, 20)}`, path: `/api/v1/models/${id}` });
    cases.push({ name: `DELETE model ${id.slice(0, 20)}`, path: `/api/v1/models/${id}`, init: { method: 'DELETE', headers: { authorization: 'Bearer x' } } });
  }
  for (const s of ['-1', '1000', '1e3', 'NaN', '0x1', '99999999999999999999']) cases.push({ name: `GET sample ${s}`, path: `/api/v1/samples/${s}` });
  return cases;
}

/** A body of bytes (the fetch types of Node and of workerd both take a Uint8Array backed by an ArrayBuffer). */
const bytesBody = (b: Uint8Array): BodyInit => b as Uint8Array<ArrayBuffer>;
const png = (body: Uint8Array, type = 'image/png'): RequestInit => ({ method: 'POST', body: bytesBody(body), headers: { 'content-type': type } });

function pngCases(): Case[] {
  const files = [...namedHostilePngs(), ...fc.sample(arbPng, { seed: SEED, numRuns: 40 }).map((bytes, i) => ({ name: `generated PNG ${i}`, bytes }))];
  return files.map((f) => ({ name: `POST predict: ${f.name}`, path: '/api/v1/predict?model=fashion-mlp', init: png(f.bytes) }));
}

function uploadCases(valid: Uint8Array): Case[] {
  const files = [
    ...namedHostileFiles(),
    ...fc.sample(arbModel, { seed: SEED, numRuns: 30 }).map((m, i) => ({ name: `generated model ${i}`, bytes: encodeModelProto(m) })),
    ...fc.sample(arbMutation(valid), { seed: SEED, numRuns: 20 }).map((bytes, i) => ({ name: `mutated fashion-mlp ${i}`, bytes })),
  ];
  const post = (body: Uint8Array | string, type = 'application/octet-stream'): RequestInit => ({ method: 'POST', body: typeof body === 'string' ? body : bytesBody(body), headers: { 'content-type': type } });
  return [
    ...files.map((f) => ({ name: `upload: ${f.name}`, path: '/api/v1/models', init: post(f.bytes) })),
    ...['min=-1e308&max=1e308', 'min=1&max=1', 'max=1e39', 'mean=1e308&std=1e-308', 'std=0', 'labels=a', `labels=${Array(2000).fill('a').join(',')}`, 'title=']
      .map((q) => ({ name: `upload described ${q.slice(0, 30)}`, path: `/api/v1/models?${q}`, init: post(valid) })),
    { name: 'upload: multipart without a model part', path: '/api/v1/models', init: { method: 'POST', body: '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } } },
    { name: 'upload: JSON body', path: '/api/v1/models', init: post('{"model":1}', 'application/json') },
  ];
}

const METHOD_CASES: Case[] = [
  { name: 'PUT maximize', path: '/api/v1/maximize?model=fashion-mlp&class=1', init: { method: 'PUT', body: 'x' } },
  { name: 'PATCH models', path: '/api/v1/models/fashion-mlp', init: { method: 'PATCH', body: 'x' } },
  { name: 'POST samples', path: '/api/v1/samples', init: { method: 'POST', body: new Uint8Array(4096) } },
  { name: 'POST predict as text', path: '/api/v1/predict?model=fashion-mlp', init: png(grayPng(28, 28), 'text/plain') },
  { name: 'POST predict of an unknown model', path: '/api/v1/predict?model=nope', init: png(grayPng(28, 28)) },
];

/** The issue's measured requests that a parameter check alone does not refuse: the most memory and output a query can ask for. */
const HEAVY_CASES: Case[] = [
  { name: 'GET maximize 64 restarts, all at scale 32 in colour', path: '/api/v1/maximize?model=fashion-mlp&class=7&restarts=64&pick=all&scale=32&colormap=viridis&steps=1' },
  { name: 'GET maximize 64 restarts, all at the default scale', path: '/api/v1/maximize?model=fashion-mlp&class=7&restarts=64&pick=all&steps=1' },
  { name: 'GET maximize fashion-cnn 64 restarts, all, JSON', path: '/api/v1/maximize?model=fashion-cnn&class=7&restarts=64&pick=all&steps=1&format=json' },
];

/**
 * The most expensive requests the limits admit (CPU estimates near the limit, the largest outputs): what the 10 s
 * and 128 MB bars of `npm run load -- --hostile` are about. The workerd test, which checks answers and not time,
 * leaves them out.
 */
const HEAVIEST_CASES: Case[] = [
  ['maximize fashion-cnn, 64 restarts, as many steps as fit', 'maximize?model=fashion-cnn&class=1&restarts=64'],
  ['maximize fashion-cnn, 64 restarts all shown in colour, as many steps as fit', 'maximize?model=fashion-cnn&class=1&restarts=64&pick=all&colormap=viridis'],
  ['maximize fashion-cnn, GIF of 128 frames at scale 32 in colour', 'maximize?model=fashion-cnn&class=2&format=gif&frames=128&steps=255&scale=32&colormap=viridis'],
  ['maximize fashion-cnn, GIF of 128 frames', 'maximize?model=fashion-cnn&class=2&format=gif&frames=128&steps=255'],
  ['maximize fashion-cnn, events of 64 restarts', 'maximize/events?model=fashion-cnn&class=4&restarts=64'],
  ['maximize fashion-cnn through the prior, 64 restarts', 'maximize?model=fashion-cnn&class=0&prior=fashion&restarts=64'],
  ['attribute fashion-cnn, integrated gradients in JSON', 'attribute?model=fashion-cnn&sample=5&method=integrated&format=json'],
  ['attribute fashion-cnn, smoothgrad', 'attribute?model=fashion-cnn&sample=5&method=smoothgrad'],
  ['attribute fashion-cnn, Grad-CAM over the image', 'attribute?model=fashion-cnn&sample=5&method=gradcam&overlay=1&colormap=viridis'],
  ['exemplars fashion-cnn, 64 at scale 32', 'exemplars?model=fashion-cnn&class=7&k=64&scale=32'],
].map(([name, path]) => ({ name: `GET ${name}`, path: `/api/v1/${path}` }));

/**
 * The catalogue in groups; `mlp` is models/fashion-mlp.onnx (a valid file that the upload cases mutate);
 * `heaviest` adds the group of the most expensive admitted requests.
 */
export function hostileCatalogue(mlp: Uint8Array, heaviest = false): [string, Case[]][] {
  const groups: [string, Case[]][] = [['queries', [...queryCases(), ...HEAVY_CASES]], ['PNG bodies', pngCases()], ['uploads', uploadCases(mlp)], ['methods and media types', METHOD_CASES]];
  return heaviest ? [...groups, ['heaviest admitted', HEAVIEST_CASES]] : groups;
}
