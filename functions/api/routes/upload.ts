/**
 * POST /api/v1/models: upload an ONNX classifier (admission checks in ../admission.ts); each upload gets a random id
 * (identical uploads share what is stored, see registry/uploads.ts).
 * DELETE /api/v1/models/{id}: remove an upload (its delete token, or the deployment's upload token).
 *
 * When the deployment sets the secret UPLOAD_TOKEN, uploads need `Authorization: Bearer <UPLOAD_TOKEN>`.
 */
import { Hono } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { admit } from '../admission.js';
import type { AppEnv } from '../app-env.js';
import { randomHex, sha256Hex } from '../hash.js';
import { mediaType, readBody, requireBearer } from '../http.js';
import { MAX_UPLOAD_BYTES, queryToDescription, uploadDescription, uploadQuery, type UploadDescription } from '../params/upload.js';
import { parseQuery } from '../params/query.js';
import { ApiProblem, PROBLEM, echo } from '../problem.js';
import { rateLimit } from '../rate-limit.js';
import { UPLOAD_ID, type UploadRecord } from '../../registry/uploads.js';
import type { ModelInfo } from '../../registry/types.js';

/** Multipart bodies carry the description and part headers beside the model. */
const MULTIPART_SLACK = 64 * 1024;

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
  const type = mediaType(c);
  const tooLarge = (declared: number | undefined) => new ApiProblem(413, PROBLEM.tooLarge, declared !== undefined && declared > MAX_UPLOAD_BYTES + MULTIPART_SLACK
    ? `The upload is ${declared} bytes; models up to ${MAX_UPLOAD_BYTES} bytes (16 MiB) are accepted.`
    : `The body is larger than ${type === 'application/octet-stream' ? MAX_UPLOAD_BYTES : MAX_UPLOAD_BYTES + MULTIPART_SLACK} bytes, the most accepted.`);
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_UPLOAD_BYTES + MULTIPART_SLACK) throw tooLarge(declared);
  if (type === 'application/octet-stream') {
    const description = describe(queryToDescription(parseQuery(new URL(c.req.url), uploadQuery)));
    return { bytes: await readBody(c, MAX_UPLOAD_BYTES, tooLarge), description };
  }
  if (type === 'multipart/form-data') {
    parseQuery(new URL(c.req.url), uploadQuery.pick({}));
    const body = await readBody(c, MAX_UPLOAD_BYTES + MULTIPART_SLACK, tooLarge);
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
    `POST the .onnx file as application/octet-stream (description in the query) or as multipart/form-data (parts "model" and "description"); got ${echo(type || 'none')}.`);
}

/** Uploads need the deployment's upload token, when it sets one. */
const uploadToken = requireBearer<AppEnv>(
  (token, c) => timingSafeEqual(token, c.var.app.uploadToken!),
  'Uploads on this deployment need "Authorization: Bearer <upload token>".',
);

type DeleteEnv = AppEnv & { Variables: { upload: UploadRecord } };

/** The upload named in the path (403 for a built-in model, 404 for anything else). */
const findUpload = createMiddleware<DeleteEnv, '/:id'>(async (c, next) => {
  const app = c.var.app;
  const id = c.req.param('id');
  const record = UPLOAD_ID.test(id) && app.uploads ? await app.uploads.record(id) : undefined;
  if (!record) {
    const builtin = await app.registry.get(id);
    if (builtin) throw new ApiProblem(403, PROBLEM.forbidden, `"${id}" is a built-in model; it cannot be deleted.`);
    throw new ApiProblem(404, PROBLEM.unknownModel, `There is no uploaded model "${id}".`, { parameter: 'id' });
  }
  c.set('upload', record);
  await next();
});

/** Deleting needs the upload's delete token, or the deployment's upload token. */
const deleteToken = requireBearer<DeleteEnv>(
  async (token, c) => {
    const app = c.var.app;
    return (app.uploadToken !== undefined && await timingSafeEqual(token, app.uploadToken))
      || await timingSafeEqual(await sha256Hex(token), c.var.upload.deleteTokenSha256);
  },
  'Deleting an upload needs "Authorization: Bearer <token>": the deleteToken returned by the upload, or the deployment\'s upload token.',
);

export const uploadRoute = new Hono<AppEnv>()
  .post('/', (c, next) => (c.var.app.uploadToken ? uploadToken(c, next) : next()), async (c) => {
    const app = c.var.app;
    if (!app.uploads) throw new ApiProblem(503, PROBLEM.internal, 'Uploads are not configured on this deployment (no MODELS bucket).');
    await rateLimit(c, 'upload');
    const { bytes, description } = await readUpload(c);
    if (bytes.length === 0) throw new ApiProblem(400, PROBLEM.badModel, 'The upload is empty; send the .onnx file as the body.');

    // identical uploads share their stored content (admitted once), but each gets its own random id
    const canonical = JSON.stringify(Object.entries(description).sort(([a], [b]) => (a < b ? -1 : 1)));
    const content = (await sha256Hex(`${await sha256Hex(bytes)}\n${canonical}`)).slice(0, 32);
    const known = await app.uploads.admitted(content);
    const admitted = known ? undefined : await admit(bytes, description, await app.loadOrt(), app);
    const id = `u-${randomHex(16)}`;
    const info: ModelInfo = { id, ...(known ?? admitted!.info) };
    const deleteToken = randomHex(16);
    await app.uploads.put(
      { info, description, deleteTokenSha256: await sha256Hex(deleteToken), content },
      admitted ? { bytes: admitted.graph, info: admitted.info } : undefined,
    );
    if (admitted) await app.programs.save({ info, bytes: admitted.graph, content }, 'logit', admitted.program.bytes, admitted.program.meta);
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
  .delete('/:id', findUpload, deleteToken, async (c) => {
    await c.var.app.uploads!.delete(c.var.upload.info.id);
    return c.body(null, 204);
  });
