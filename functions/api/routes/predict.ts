/**
 * /api/v1/predict: the model's class probabilities for one image, given by a test-image index or base64url
 * pixels in the query (GET), or as a PNG body (POST).
 */
import { Hono, type Context } from 'hono';
import { sampleSize } from '../../engine/image.js';
import { softmaxRow } from '../../engine/runner.js';
import { decodePng } from '../../encode/png.js';
import { layoutOf, type ModelRecord } from '../../registry/types.js';
import { decodeBase64Url } from '../params/base64url.js';
import { MAX_IMAGE_BYTES, predictQuery } from '../params/predict.js';
import { parseQuery } from '../params/query.js';
import { pixelsToInput } from '../plan.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { requireModel } from './maximize.js';
import type { AppEnv } from '../app.js';

async function predict(c: Context<AppEnv>, record: ModelRecord, pixels: Uint8Array, source: Record<string, unknown>) {
  const info = record.info;
  const layout = layoutOf(info.input);
  const runner = await c.var.app.programs.runner(record, 'logit').catch((e: Error) => {
    throw new ApiProblem(422, PROBLEM.unsupportedModel, `The model cannot be run: ${e.message}`);
  });
  const x = pixelsToInput(pixels, layout, { min: info.input.min, max: info.input.max });
  const logits = await runner.exclusive(async () => (await runner.run(x, 1, new Float32Array(runner.meta.units))).logits.slice(0, runner.classes));
  const p = softmaxRow(logits, 0, runner.classes);
  const ranked = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
  const round = (v: number) => Number(v.toPrecision(7));
  return c.json({
    model: info.id,
    ...source,
    predicted: { class: ranked[0], label: info.labels[ranked[0]!] },
    probabilities: Array.from(p, round),
    logits: Array.from(logits, round),
    top: ranked.slice(0, 5).map((k) => ({ class: k, label: info.labels[k], probability: round(p[k]!) })),
  });
}

/** A decoded PNG as 8-bit pixels of the model's image shape (colour to gray by luminance, gray to colour by copy). */
function pngPixels(bytes: Uint8Array, record: ModelRecord): Uint8Array {
  const layout = layoutOf(record.info.input);
  let raster;
  try {
    raster = decodePng(bytes, 4096 * 4096);
  } catch (e) {
    throw new ApiProblem(400, PROBLEM.badImage, `The request body is not a usable PNG: ${(e as Error).message}.`);
  }
  if (raster.width !== layout.width || raster.height !== layout.height) {
    throw new ApiProblem(400, PROBLEM.badImage,
      `The PNG is ${raster.width}x${raster.height}; ${record.info.id} takes ${layout.width}x${layout.height} images.`);
  }
  const n = layout.width * layout.height;
  const out = new Uint8Array(n * layout.channels);
  for (let i = 0; i < n; i++) {
    if (layout.channels === 1) {
      out[i] = raster.channels === 1 ? raster.data[i]! : Math.round(0.299 * raster.data[3 * i]! + 0.587 * raster.data[3 * i + 1]! + 0.114 * raster.data[3 * i + 2]!);
    } else {
      for (let k = 0; k < 3; k++) out[3 * i + k] = raster.channels === 1 ? raster.data[i]! : raster.data[3 * i + k]!;
    }
  }
  return out;
}

export const predictRoute = new Hono<AppEnv>()
  .get('/', async (c) => {
    const q = parseQuery(new URL(c.req.url), predictQuery);
    const record = await requireModel(c, q.model);
    const layout = layoutOf(record.info.input);
    const size = sampleSize(layout);
    if ((q.sample === undefined) === (q.x === undefined)) {
      throw new ApiProblem(400, PROBLEM.badParameter, 'Give exactly one of "sample" (a test image index) or "x" (base64url pixels).', { parameter: q.x === undefined ? 'x' : 'sample' });
    }
    if (q.x !== undefined) {
      const bytes = decodeBase64Url(q.x, 'x');
      if (bytes.length !== size) {
        throw new ApiProblem(400, PROBLEM.badImage, `Parameter "x" must hold ${size} bytes (${layout.height}x${layout.width}${layout.channels > 1 ? `x${layout.channels}` : ''} 8-bit pixels), got ${bytes.length}.`, { parameter: 'x' });
      }
      return predict(c, record, bytes, { source: 'x' });
    }
    const samples = c.var.app.samples();
    if (!samples || samples.height !== layout.height || samples.width !== layout.width || layout.channels !== 1) {
      throw new ApiProblem(400, PROBLEM.badParameter, `There are no shipped test images of ${record.info.id}'s input size.`, { parameter: 'sample' });
    }
    const k = q.sample!;
    if (k >= samples.count) throw new ApiProblem(400, PROBLEM.badParameter, `Parameter "sample" must be < ${samples.count} (got ${k}).`, { parameter: 'sample', allowed: { minimum: 0, maximum: samples.count - 1 } });
    const pixels = samples.pixels.subarray(k * size, (k + 1) * size);
    return predict(c, record, pixels, { source: 'sample', sample: { index: k, class: samples.labels[k], label: record.info.labels[samples.labels[k]!] } });
  })
  .post('/', async (c) => {
    const url = new URL(c.req.url);
    const q = parseQuery(url, predictQuery.pick({ model: true }));
    const record = await requireModel(c, q.model);
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'image/png' && type !== 'application/octet-stream') {
      throw new ApiProblem(415, PROBLEM.unsupportedMediaType, `POST a PNG image with Content-Type: image/png (got ${JSON.stringify(type || 'none')}).`);
    }
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > MAX_IMAGE_BYTES) throw new ApiProblem(413, PROBLEM.tooLarge, `The body is ${declared} bytes; at most ${MAX_IMAGE_BYTES} are accepted.`);
    const body = new Uint8Array(await readLimited(c.req.raw, MAX_IMAGE_BYTES));
    if (body.length === 0) throw new ApiProblem(400, PROBLEM.badImage, 'The request body is empty; POST a PNG image.');
    return predict(c, record, pngPixels(body, record), { source: 'png' });
  });

/** Reads a request body, refusing (413) as soon as it grows past `limit` bytes. */
export async function readLimited(request: Request, limit: number): Promise<ArrayBuffer> {
  if (!request.body) return new ArrayBuffer(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ApiProblem(413, PROBLEM.tooLarge, `The body is larger than ${limit} bytes, the most accepted.`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const ch of chunks) {
    out.set(ch, o);
    o += ch.byteLength;
  }
  return out.buffer;
}
