/**
 * POST /api/v1/models: upload an ONNX classifier (admission checks in ../admission.ts), stored content-addressed.
 * DELETE /api/v1/models/{id}: remove an upload (its delete token, or the deployment's upload token).
 *
 * When the deployment sets the secret UPLOAD_TOKEN, uploads need `Authorization: Bearer <UPLOAD_TOKEN>`.
 */
import { Hono, type Context } from 'hono';
import { admit, sha256Hex } from '../admission.js';
import { MAX_UPLOAD_BYTES, queryToDescription, uploadDescription, uploadQuery, type UploadDescription } from '../params/upload.js';
import { parseQuery } from '../params/query.js';
import { ApiProblem, PROBLEM } from '../problem.js';
import { readLimited } from './predict.js';
import { UPLOAD_ID } from '../../registry/uploads.js';
import { utf8 } from '../../registry/store.js';
import type { AppEnv } from '../app.js';
import type { ModelInfo } from '../../registry/types.js';

function bearer(c: Context<AppEnv>): string | undefined {
  const h = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

/** Compares two strings in time independent of where they differ. */
function sameSecret(a: string, b: string): boolean {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function describe(raw: unknown): UploadDescription {
  const r = uploadDescription.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const parameter = String(issue.path[0] ?? '');
  const detail = issue.code === 'unrecognized_keys'
    ? `Unknown description field(s): ${(issue as { keys: string[] }).keys.join(', ')}. Accepted: ${Object.keys(uploadDescription.shape).join(', ')}.`
    : `Description field "${parameter}": ${issue.message}.`;
  throw new ApiProblem(400, issue.code === 'unrecognized_keys' ? PROBLEM.unknownParameter : PROBLEM.badParameter, detail, { parameter });
}

async function readUpload(c: Context<AppEnv>): Promise<{ bytes: Uint8Array; description: UploadDescription }> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_UPLOAD_BYTES + 64 * 1024) {
    throw new ApiProblem(413, PROBLEM.tooLarge, `The upload is ${declared} bytes; models up to ${MAX_UPLOAD_BYTES} bytes (16 MiB) are accepted.`);
  }
  if (type === 'application/octet-stream') {
    const description = describe(queryToDescription(parseQuery(new URL(c.req.url), uploadQuery)));
    const bytes = new Uint8Array(await readLimited(c.req.raw, MAX_UPLOAD_BYTES));
    return { bytes, description };
  }
  if (type === 'multipart/form-data') {
    parseQuery(new URL(c.req.url), uploadQuery.pick({}));
    const body = await readLimited(c.req.raw, MAX_UPLOAD_BYTES + 64 * 1024);
    let form: FormData;
    try {
      form = await new Request('http://upload/', { method: 'POST', body, headers: { 'content-type': c.req.header('content-type')! } }).formData();
    } catch {
      throw new ApiProblem(400, PROBLEM.badModel, 'The multipart body could not be parsed.');
    }
    const file = form.get('model') as unknown as Blob | string | null;
    if (!file || typeof file === 'string') throw new ApiProblem(400, PROBLEM.badModel, 'The multipart body needs a file part named "model" (the .onnx file).', { parameter: 'model' });
    const text = form.get('description') as unknown as Blob | string | null;
    let raw: unknown = {};
    if (text !== null) {
      try {
        raw = JSON.parse(typeof text === 'string' ? text : await text.text());
      } catch {
        throw new ApiProblem(400, PROBLEM.badParameter, 'The "description" part is not valid JSON.', { parameter: 'description' });
      }
    }
    return { bytes: new Uint8Array(await file.arrayBuffer()), description: describe(raw) };
  }
  throw new ApiProblem(415, PROBLEM.unsupportedMediaType,
    `POST the .onnx file as application/octet-stream (description in the query) or as multipart/form-data (parts "model" and "description"); got ${JSON.stringify(type || 'none')}.`);
}

export const uploadRoute = new Hono<AppEnv>()
  .post('/', async (c) => {
    const app = c.var.app;
    if (app.uploadToken) {
      const token = bearer(c);
      if (!token || !sameSecret(token, app.uploadToken)) {
        throw new ApiProblem(401, PROBLEM.unauthorized, 'Uploads on this deployment need "Authorization: Bearer <upload token>".');
      }
    }
    if (!app.uploads) throw new ApiProblem(503, PROBLEM.internal, 'Uploads are not configured on this deployment (no MODELS bucket).');
    const { bytes, description } = await readUpload(c);
    if (bytes.length === 0) throw new ApiProblem(400, PROBLEM.badModel, 'The upload is empty; send the .onnx file as the body.');

    const canonical = JSON.stringify(Object.entries(description).sort(([a], [b]) => (a < b ? -1 : 1)));
    const id = `u-${(await sha256Hex(utf8.encode(`${await sha256Hex(bytes)}\n${canonical}`))).slice(0, 32)}`;
    const existing = await app.uploads.get(id);
    if (existing) return c.json({ ...existing.info, created: false }, 200, { Location: `/api/v1/models/${id}` });

    const admitted = await admit(bytes, description, await app.loadOrt());
    const info: ModelInfo = { id, ...admitted.info };
    const deleteToken = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    await app.uploads.put({ info, description, deleteTokenSha256: await sha256Hex(utf8.encode(deleteToken)) }, admitted.graph);
    await app.programs.save({ info, bytes: admitted.graph }, 'logit', admitted.program.bytes, admitted.program.meta);
    return c.json({
      ...info,
      created: true,
      deleteToken,
      links: {
        self: `/api/v1/models/${id}`,
        maximize: `/api/v1/maximize?model=${id}&class=0`,
        playground: `/?model=${id}`,
      },
    }, 201, { Location: `/api/v1/models/${id}` });
  })
  .delete('/:id', async (c) => {
    const app = c.var.app;
    const id = c.req.param('id');
    const record = UPLOAD_ID.test(id) && app.uploads ? await app.uploads.record(id) : undefined;
    if (!record) {
      const builtin = await app.registry.get(id);
      if (builtin) throw new ApiProblem(403, PROBLEM.forbidden, `"${id}" is a built-in model; it cannot be deleted.`);
      throw new ApiProblem(404, PROBLEM.unknownModel, `There is no uploaded model "${id}".`, { parameter: 'id' });
    }
    const token = bearer(c);
    const allowed = token !== undefined && (
      (app.uploadToken !== undefined && sameSecret(token, app.uploadToken)) ||
      sameSecret(await sha256Hex(utf8.encode(token)), record.deleteTokenSha256));
    if (!allowed) throw new ApiProblem(401, PROBLEM.unauthorized, 'Deleting an upload needs "Authorization: Bearer <token>": the deleteToken returned by the upload, or the deployment\'s upload token.');
    await app.uploads!.delete(id);
    return c.body(null, 204);
  });
