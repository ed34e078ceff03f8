/**
 * GET /api/v1/openapi.json: the API description, generated from the same zod objects that validate requests,
 * so the documentation cannot drift from what the server accepts.
 */
import { Hono } from 'hono';
import * as z from 'zod';
import { maximizeQuery } from '../params/maximize.js';
import { attributeQuery } from '../params/attribute.js';
import { predictQuery } from '../params/predict.js';
import { exemplarsQuery } from '../params/exemplars.js';
import { MAX_UPLOAD_BYTES, uploadDescription, uploadQuery } from '../params/upload.js';
import { sampleQuery } from '../params/samples.js';
import type { QuerySchema } from '../params/query.js';
import type { AppEnv } from '../app-env.js';

function parameters(schema: QuerySchema) {
  return Object.entries(schema.shape).map(([name, field]) => {
    const js = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    const { description, $schema: _ignored, ...rest } = js;
    return {
      name,
      in: 'query',
      required: !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const problem = {
  description: 'Problem details (RFC 9457) naming the parameter at fault and what it allows.',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
          parameter: { type: 'string' }, allowed: {},
        },
        required: ['type', 'title', 'status', 'detail'],
      },
    },
  },
};

/** The problem response for each of these statuses. */
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((status) => [status, problem]));

/** A response of these media types. */
const media = (description: string, ...types: string[]) => ({ description, content: Object.fromEntries(types.map((t) => [t, {}])) });

/** Immutable results (maximize, attribute, exemplars) answer a matching If-None-Match with 304. */
const notModified = { description: 'Not modified (If-None-Match matched the ETag).' };

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ascent API',
      version: '1',
      description: 'Gradient ascent in input space on ONNX classifiers: the input that maximizes a class, as an image addressed by its URL.',
    },
    servers: [{ url: '/' }],
    paths: {
      '/api/v1/models': {
        get: { summary: 'List the built-in models', responses: { 200: { description: '{"models": [...]}: id, title, labels, input (shape, min, max), accuracy, sha256, parameters.' } } },
        post: {
          summary: 'Upload an ONNX classifier',
          description: `The .onnx file (at most ${MAX_UPLOAD_BYTES} bytes, weights inside the file) as application/octet-stream with the description in the query, or as multipart/form-data with parts "model" (the file) and "description" (JSON). Checked before anything is stored: well-formed ONNX, a float image input in a recognized layout ([N,H,W], [N,1,H,W], [N,H,W,1], [N,H*W], [N,3,H,W], [N,H,W,3]), every op on the gradient path supported, a trial run. Each upload gets a random id only its uploader learns (identical uploads share what is stored; deleting one removes only its link); at most 10 uploads a minute per client where rate limits are on (429 with Retry-After). Needs "Authorization: Bearer <token>" when the deployment sets UPLOAD_TOKEN. Uploaded models are reachable by id, not listed.`,
          parameters: parameters(uploadQuery as unknown as QuerySchema),
          requestBody: {
            required: true,
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': { schema: { type: 'object', properties: { model: { type: 'string', format: 'binary' }, description: z.toJSONSchema(uploadDescription, { io: 'input' }) } } },
            },
          },
          responses: {
            201: { description: 'The model description, what was recognized, a deleteToken (shown once) and links.' },
            200: { description: 'The same upload already exists: its description.' },
            ...problems(400, 401, 413, 415, 422),
          },
        },
      },
      '/api/v1/models/{id}': {
        get: {
          summary: 'One model',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The model description.' }, ...problems(404) },
        },
        delete: {
          summary: 'Delete an uploaded model',
          description: 'Needs "Authorization: Bearer <token>": the deleteToken returned by the upload, or the deployment\'s upload token.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 204: { description: 'Deleted.' }, ...problems(401, 403, 404) },
        },
      },
      '/api/v1/maximize': {
        get: {
          summary: 'The input that maximizes a class',
          description: 'Runs a fixed budget of projected gradient-ascent steps with the analytic gradient of the model. The result is deterministic: the same query gives the same bytes, with a strong ETag and immutable caching. A PNG result carries its numbers in headers: X-Ascent-Probability (of the class), X-Ascent-Predicted (the class index the model predicts for the image) and X-Ascent-Objective; X-Ascent-Params is the canonical query.',
          parameters: parameters(maximizeQuery as unknown as QuerySchema),
          responses: {
            200: media('A PNG (format=png), JSON (format=json) or an animated GIF of the ascent (format=gif: `frames` frames at log- or evenly spaced steps, looping, the last frame the PNG\'s pixels; the same headers as the PNG).', 'image/png', 'application/json', 'image/gif'),
            304: notModified,
            ...problems(400, 404, 422),
          },
        },
      },
      '/api/v1/predict': {
        get: {
          summary: 'Class probabilities of one image',
          parameters: parameters(predictQuery as unknown as QuerySchema),
          responses: { 200: { description: 'probabilities, logits, predicted class, top 5.' }, ...problems(400, 404) },
        },
        post: {
          summary: 'Class probabilities of a PNG image',
          parameters: parameters(predictQuery.pick({ model: true }) as unknown as QuerySchema),
          requestBody: { required: true, content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
          responses: { 200: { description: 'probabilities, logits, predicted class, top 5.' }, ...problems(400, 404, 413, 415) },
        },
      },
      '/api/v1/attribute': {
        get: {
          summary: 'Why the model gives a class its score for an image (attribution)',
          description: 'A saliency map of a shipped test image (sample) or of pixels in the URL (x): gradient, gradient x input, SmoothGrad, Integrated Gradients or Grad-CAM, computed with the analytic gradient of the model (several inputs of a method run as one batch). Deterministic, with a strong ETag and immutable caching, like maximize. A PNG heatmap carries its numbers in headers: X-Ascent-Class (the class explained), X-Ascent-Predicted, X-Ascent-Probability (of the class explained) and, for integrated, X-Ascent-Completeness (|sum of attributions - (f(x) - f(baseline))| / |f(x) - f(baseline)|). JSON: attribution {shape, layout, data} in the input\'s layout, probabilities of the input, the method\'s parameters, completeness for integrated, cam {layer, shape, data} for gradcam.',
          parameters: parameters(attributeQuery as unknown as QuerySchema),
          responses: {
            200: media('A PNG heatmap (format=png) or JSON (format=json).', 'image/png', 'application/json'),
            304: notModified,
            ...problems(400, 404, 422),
          },
        },
        post: {
          summary: 'Attribution for a PNG image',
          description: 'The same with the image as a PNG body of the model\'s size (colour to gray by luminance for gray models). Shares its cache entries with the GET of the same pixels in x; the JSON\'s url is that GET.',
          parameters: parameters(attributeQuery.omit({ sample: true, x: true }) as unknown as QuerySchema),
          requestBody: { required: true, content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
          responses: { 200: media('A PNG heatmap or JSON.', 'image/png', 'application/json'), ...problems(400, 404, 413, 415, 422) },
        },
      },
      '/api/v1/maximize/events': {
        get: {
          summary: 'The same computation, streamed as server-sent events',
          description: 'Takes the parameters of /api/v1/maximize. Sends `progress` events ({step, steps, objective[], probability[]}, about 64 of them), then one `result` event (the format=json body) or one `error` event (problem details). A cached result is sent at once; a computed one is cached in both formats, so the image URL is then a cache hit. Problems found before computing (bad parameters, a unit the tensor does not have, a request over the budget) are ordinary 4xx responses.',
          parameters: parameters(maximizeQuery as unknown as QuerySchema),
          responses: { 200: media('text/event-stream', 'text/event-stream'), ...problems(400, 404, 422) },
        },
      },
      '/api/v1/exemplars': {
        get: {
          summary: 'The test images a model scores highest for a class',
          description: 'Ranks every shipped test image by the model\'s score for the class (the logit by default) and returns the k best (order=top) or worst (order=bottom): a grid PNG (best first, row by row; X-Ascent-Samples lists the indices) or JSON {items: [{sample, score, probability, class, label}]} (label: the dataset\'s label of the image). For built-in models and uploads whose input is a 28x28 single-channel image. Deterministic and cached like maximize (ETag, immutable).',
          parameters: parameters(exemplarsQuery as unknown as QuerySchema),
          responses: {
            200: media('A grid PNG or JSON.', 'image/png', 'application/json'),
            304: notModified,
            ...problems(400, 404, 422),
          },
        },
      },
      '/api/v1/samples': {
        get: { summary: 'The shipped test images: count, size and index range per class', responses: { 200: { description: 'count, height, width, classes[{class, label, first, count}]' } } },
      },
      '/api/v1/samples/{index}': {
        get: {
          summary: 'One test image',
          parameters: [{ name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }, ...parameters(sampleQuery as unknown as QuerySchema)],
          responses: { 200: media('JSON {index, class, label, height, width, x (base64url pixels)} or a PNG', 'application/json', 'image/png'), ...problems(404) },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}

export const openApiRoute = new Hono<AppEnv>().get('/', (c) => c.json(openApiDocument(), 200, { 'cache-control': 'public, max-age=300' }));
