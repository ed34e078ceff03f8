/**
 * The description of an uploaded model: given as query parameters with an application/octet-stream body, or as
 * the JSON part "description" of a multipart/form-data body (with the file in the part "model").
 */
import { z } from 'zod';

export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

const numberOrList = z.union([z.number(), z.array(z.number()).min(1).max(3)]);

export const uploadDescription = z.object({
  title: z.string().min(1).max(120).optional().describe('A title for the model.'),
  labels: z.array(z.string().min(1).max(64)).min(2).max(1000).optional()
    .describe('Class names in output order (default "0", "1", ...). In the query: comma-separated.'),
  min: z.number().default(0).describe('Lowest pixel value in the range you think in (e.g. 0).'),
  max: z.number().default(1).describe('Highest pixel value (e.g. 1 or 255).'),
  mean: numberOrList.optional().describe('Normalization the model expects, applied inside the graph: x_model = (pixel - mean) / std. One value or one per channel.'),
  std: numberOrList.optional().describe('See mean.'),
  input: z.string().max(256).optional().describe('Name of the image input when the model has several.'),
  output: z.string().max(256).optional().describe('Name of the output with the class scores when there are several.'),
}).strict();

export type UploadDescription = z.output<typeof uploadDescription>;

/** The same fields as query parameters (strings; lists comma-separated). */
export const uploadQuery = z.object({
  title: z.string().max(120).optional().describe('A title for the model.'),
  labels: z.string().max(64_000).optional().describe('Class names in output order, comma-separated (default 0, 1, ...).'),
  min: z.coerce.number().optional().describe('Lowest pixel value (default 0).'),
  max: z.coerce.number().optional().describe('Highest pixel value (default 1).'),
  mean: z.string().max(200).regex(/^-?[0-9.eE+-]+(,-?[0-9.eE+-]+){0,2}$/, 'numbers').optional().describe('Normalization mean: one number or one per channel, comma-separated.'),
  std: z.string().max(200).regex(/^-?[0-9.eE+-]+(,-?[0-9.eE+-]+){0,2}$/, 'numbers').optional().describe('Normalization standard deviation (see mean).'),
  input: z.string().max(256).optional().describe('Name of the image input.'),
  output: z.string().max(256).optional().describe('Name of the class-score output.'),
});

export function queryToDescription(q: z.output<typeof uploadQuery>): Record<string, unknown> {
  const list = (s: string) => s.split(',').map((v) => Number(v));
  return {
    ...(q.title !== undefined ? { title: q.title } : {}),
    ...(q.labels !== undefined ? { labels: q.labels.split(',').map((l) => l.trim()) } : {}),
    ...(q.min !== undefined ? { min: q.min } : {}),
    ...(q.max !== undefined ? { max: q.max } : {}),
    ...(q.mean !== undefined ? { mean: list(q.mean) } : {}),
    ...(q.std !== undefined ? { std: list(q.std) } : {}),
    ...(q.input !== undefined ? { input: q.input } : {}),
    ...(q.output !== undefined ? { output: q.output } : {}),
  };
}
