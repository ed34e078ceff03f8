/**
 * Bring your own model: every differentiable model of the corpus is uploaded to the running product (wrangler dev)
 * with the preprocessing its corpus entry gives, and a default maximize on it reaches p >= 0.99 for each of three
 * classes, judged on the returned PNG by running the ORIGINAL file with onnxruntime (not Ascent's graph), and every
 * attribution method explains a test digit (Grad-CAM on the models with a convolution, a problem naming the method
 * on the others). The two edge cases are refused with errors that name the reason.
 */
import { readFileSync } from 'node:fs';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { loadDigitTestSplit } from '../../../models/train/digits.js';
import { CORPUS_MISSING, corpus, corpusBytes, corpusPresent, differentiable, preprocessing, type CorpusEntry } from '../helpers/corpus.js';
import { ROOT, sharedServer, type Server } from '../helpers/server.js';

const CLASSES = [0, 3, 7];
const entries = corpus();
if (!corpusPresent) console.warn(CORPUS_MISSING);

/** The description query for a corpus entry: the pixel range and normalization its model expects. */
function describeQuery(e: CorpusEntry): string {
  const pre = preprocessing(e);
  if (pre.scale === 255) return 'min=0&max=255';
  if (pre.offset === -1) return 'mean=0.5&std=0.5';
  return '';
}

/** A model outside the corpus, described like a corpus entry. */
const TORCH_CNN: CorpusEntry = {
  file: 'cnn-fashion.onnx',
  inputs: [{ name: 'input', dtype: 'float32', shape: [1, 1, 28, 28] }],
  outputs: [{ name: 'output', dtype: 'float32', shape: [1, 10] }],
  input_preprocessing: 'x in [0,1]',
  expectation: 'differentiate',
  output_kind: 'logits',
  op_types: { Conv: 2, Relu: 2, MaxPool: 2, Flatten: 1, Gemm: 1 },
};
const bytesOf = (e: CorpusEntry) => (e === TORCH_CNN ? new Uint8Array(readFileSync(`${ROOT}test/fixtures/torch/${e.file}`)) : corpusBytes(e.file));

/** Probabilities of the original model on a returned PNG (enlarged by `scale`), with the corpus preprocessing. */
async function judge(e: CorpusEntry, png: Uint8Array, scale: number): Promise<number[]> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytesOf(e), { logSeverityLevel: 3 });
  const img = decode(png);
  const input = e.inputs.find((i) => i.dtype === 'float32')!;
  const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const h = img.height / scale;
  const w = img.width / scale;
  const channels = per / (h * w);
  const pre = preprocessing(e);
  const sample = new Float32Array(per);
  const chw = shape.length === 4 && shape[1] === channels && channels > 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const level = img.data[(y * scale * img.width + x * scale) * img.channels + (img.channels >= 3 ? c : 0)]!;
        const i = chw ? (c * h + y) * w + x : (y * w + x) * channels + c;
        sample[i] = pre.offset + (pre.scale * level) / 255;
      }
    }
  }
  const batch = new Float32Array(per * shape[0]!);
  for (let b = 0; b < shape[0]!; b++) batch.set(sample, b * per);
  const out = await session.run({ [input.name]: new ort.Tensor('float32', batch, shape) });
  const y = Array.from((out[e.outputs.find((o) => o.dtype === 'float32')!.name]!.data as Float32Array).subarray(0, 10));
  if (e.output_kind.startsWith('probabilities')) return y;
  // logits or log-probabilities: softmax gives the probabilities either way
  const m = Math.max(...y);
  const ex = y.map((v) => Math.exp(v - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / s);
}

/**
 * Every request on a connection of its own (Connection: close): wrangler dev's proxy closes the connection an
 * upload's response went out on, and a fetch that reuses it fails with "other side closed".
 */
const send = (url: string, init: RequestInit = {}): Promise<Response> =>
  fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), connection: 'close' } });

describe('uploading real exports to the running product', () => {
  let server: Server;
  beforeAll(async () => {
    // onnxruntime (for judging) starts here, not between two requests: its seconds of start-up would leave the
    // server's keep-alive socket idle until the server closes it just as fetch reuses it ("other side closed")
    await loadOrt();
    server = await sharedServer();
  }, 120_000);

  const upload = (e: CorpusEntry) => send(`${server.url}/api/v1/models?title=${encodeURIComponent(e.file)}&${describeQuery(e)}`, {
    method: 'POST',
    body: bytesOf(e),
    headers: { 'content-type': 'application/octet-stream' },
  });

  let naturalRecognized = 0;

  it.each([...entries.filter(differentiable), TORCH_CNN].map((e) => [e.file, e] as const))('%s uploads and maximizes three classes to p >= 0.99; preset=natural is not flat', async (_f, e) => {
    const r = await upload(e);
    const info = (await r.json()) as { id: string; recognized: { layout: string }; input: { shape: number[] }; detail?: string };
    expect(r.status, info.detail).toBe(201);
    expect(info.id).toMatch(/^u-[0-9a-f]{32}$/);
    for (const k of CLASSES) {
      const m = await send(`${server.url}/api/v1/maximize?model=${info.id}&class=${k}`);
      expect(m.status).toBe(200);
      // the 22 MFLOP CNN runs its default 256 steps within the default CPU budget: no steps left out, no warning
      if (e === TORCH_CNN) expect(m.headers.get('x-ascent-warning')).toBeNull();
      const png = new Uint8Array(await m.arrayBuffer());
      const p = await judge(e, png, 8);
      expect(p[k], `${e.file} class ${k}: ${p.map((v) => v.toFixed(3)).join(' ')}`).toBeGreaterThanOrEqual(0.99);
      // preset=natural: never a black square; an image the model gives another class says so
      const n = await send(`${server.url}/api/v1/maximize?model=${info.id}&class=${k}&preset=natural`);
      expect(n.status).toBe(200);
      const natural = new Uint8Array(await n.arrayBuffer());
      const levels = decode(natural).data;
      let [lo, hi] = [Infinity, -Infinity];
      for (let i = 0; i < levels.length; i++) [lo, hi] = [Math.min(lo, levels[i]!), Math.max(hi, levels[i]!)];
      const span = hi - lo;
      expect(span, `${e.file} class ${k}: a flat natural image`).toBeGreaterThanOrEqual(128);
      const q = await judge(e, natural, 8);
      const top = q.indexOf(Math.max(...q));
      if (top !== k) expect(n.headers.get('x-ascent-warning'), `${e.file} class ${k}`).toContain(`The model gives this image to class`);
      else if (e !== TORCH_CNN) naturalRecognized++;
    }
    // the same upload again is harmless: another id (nobody can compute someone else's), both answer the same
    const again = await upload(e);
    expect(again.status).toBe(201);
    const second = ((await again.json()) as { id: string }).id;
    expect(second).not.toBe(info.id);
    const [first, twin] = await Promise.all([info.id, second].map((id) => send(`${server.url}/api/v1/maximize?model=${id}&class=${CLASSES[0]}`)));
    expect(twin!.status).toBe(200);
    expect(decode(new Uint8Array(await twin!.arrayBuffer())).data).toEqual(decode(new Uint8Array(await first!.arrayBuffer())).data);
  });

  it.skipIf(!corpusPresent)('preset=natural: the original models classify 29 of the 30 images as their class (README)', () => {
    expect(naturalRecognized).toBe(29);
  });

  it.each(entries.filter(differentiable).map((e) => [e.file, e] as const))('%s: every attribution method explains a test digit', async (_f, e) => {
    const info = (await (await upload(e)).json()) as { id: string; input: { shape: number[] } };
    const channels = info.input.shape[2] ?? 1;
    // test digit 7 (the first test image of class 7), gray copied to every channel
    const digit = loadDigitTestSplit().images.subarray(700 * 784, 701 * 784);
    const pixels = Uint8Array.from({ length: 784 * channels }, (_, i) => digit[Math.floor(i / channels)]!);
    const x = Buffer.from(pixels).toString('base64url');
    const convolutional = Object.keys(e.op_types).includes('Conv');
    for (const method of ['gradient', 'gradxinput', 'smoothgrad', 'integrated', 'gradcam']) {
      const r = await send(`${server.url}/api/v1/attribute?model=${info.id}&x=${x}&method=${method}&format=json`);
      const body = (await r.json()) as { class: number; attribution: { data: number[] }; completeness?: { relative: number }; cam?: { layer: string }; parameter?: string; detail?: string };
      if (method === 'gradcam' && !convolutional) {
        expect(r.status, body.detail).toBe(400);
        expect(body.parameter).toBe('method');
        continue;
      }
      expect(r.status, `${method}: ${body.detail}`).toBe(200);
      expect(body.attribution.data.length).toBe(method === 'gradcam' ? 784 : 784 * channels);
      expect(body.attribution.data.every(Number.isFinite), method).toBe(true);
      expect(body.attribution.data.some((v) => v !== 0), method).toBe(true);
      if (method === 'integrated') expect(body.completeness!.relative, `${e.file}: completeness`).toBeLessThan(0.01);
      if (method === 'gradcam') expect(body.cam!.layer.length).toBeGreaterThan(0);
    }
  });

  it.skipIf(!corpusPresent)('refuses the int8-input model, saying why', async () => {
    const r = await upload(entries.find((x) => x.file === 'keras_tf2onnx_fashion_int8.onnx')!);
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(((await r.json()) as { detail: string }).detail).toMatch(/int8: there is no gradient with respect to an integer input/);
  });

  it.skipIf(!corpusPresent)('refuses the scikit-learn model, naming its ai.onnx.ml operators', async () => {
    const r = await upload(entries.find((x) => x.file === 'skl2onnx_mnist_logreg.onnx')!);
    expect(r.status).toBe(422);
    const p = (await r.json()) as { detail: string; problems: { opType: string; node: string }[] };
    expect(p.detail).toContain('ai.onnx.ml::LinearClassifier');
    expect(p.problems.map((x) => x.opType)).toEqual(['ai.onnx.ml::LinearClassifier', 'ai.onnx.ml::Normalizer']);
  });

  it('keeps uploads out of the public list', async () => {
    const list = (await (await send(`${server.url}/api/v1/models`)).json()) as { models: { id: string }[] };
    expect(list.models.map((m) => m.id).sort()).toEqual(['fashion-cnn', 'fashion-mlp']);
  });
});
