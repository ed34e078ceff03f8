/**
 * GET /api/v1/openapi.json: the API description, generated from the same zod objects that validate requests,
 * so the documentation cannot drift from what the server accepts.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { maximizeQuery } from '../params/maximize.js';
import { predictQuery } from '../params/predict.js';
import type { QuerySchema } from '../params/query.js';
import type { AppEnv } from '../app.js';

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
        get: { summary: 'List the models', responses: { 200: { description: '{"models": [...]}: id, title, labels, input (shape, min, max), accuracy, sha256, parameters.' } } },
      },
      '/api/v1/models/{id}': {
        get: {
          summary: 'One model',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The model description.' }, 404: problem },
        },
      },
      '/api/v1/maximize': {
        get: {
          summary: 'The input that maximizes a class',
          description: 'Runs a fixed budget of projected gradient-ascent steps with the analytic gradient of the model. The result is deterministic: the same query gives the same bytes, with a strong ETag and immutable caching.',
          parameters: parameters(maximizeQuery as unknown as QuerySchema),
          responses: {
            200: { description: 'A PNG (format=png) or JSON (format=json) result.', content: { 'image/png': {}, 'application/json': {} } },
            304: { description: 'Not modified (If-None-Match matched the ETag).' },
            400: problem, 404: problem, 422: problem,
          },
        },
      },
      '/api/v1/predict': {
        get: {
          summary: 'Class probabilities of one image',
          parameters: parameters(predictQuery as unknown as QuerySchema),
          responses: { 200: { description: 'probabilities, logits, predicted class, top 5.' }, 400: problem, 404: problem },
        },
        post: {
          summary: 'Class probabilities of a PNG image',
          parameters: parameters(predictQuery.pick({ model: true }) as unknown as QuerySchema),
          requestBody: { required: true, content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } },
          responses: { 200: { description: 'probabilities, logits, predicted class, top 5.' }, 400: problem, 404: problem, 413: problem, 415: problem },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
  };
}

export const openApiRoute = new Hono<AppEnv>().get('/', (c) => c.json(openApiDocument(), 200, { 'cache-control': 'public, max-age=300' }));
