/**
 * The description of an uploaded model: given as query parameters with an application/octet-stream body, or as
 * the JSON part "description" of a multipart/form-data body (with the file in the part "model").
 */
import * as z from 'zod';

export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Pixel values and normalization constants are finite and at most a million in size, so that every range, step
 * size and normalized value derived from them stays a finite float32 (the models run in float32).
 */
export const VALUE_BOUND = 1e6;
const value = z.number().min(-VALUE_BOUND).max(VALUE_BOUND);
const numberOrList = z.union([value, z.array(value).min(1).max(3)]);
/** std: also at least 1e-6 in size (it divides). */
const deviation = z.number().refine((s) => Math.abs(s) >= 1e-6 && Math.abs(s) <= VALUE_BOUND, 'must be a number with 1e-6 <= |std| <= 1e6');

export const uploadDescription = z.object({
  title: z.string().min(1).max(120).optional().describe('A title for the model.'),
  labels: z.array(z.string().min(1).max(64)).min(2).max(1000).optional()
    .describe('Class names in output order (default "0", "1", ...). In the query: comma-separated.'),
  min: value.default(0).describe('Lowest pixel value in the range you think in (e.g. 0); at least -1e6.'),
  max: value.default(1).describe('Highest pixel value (e.g. 1 or 255); greater than min, at most 1e6.'),
  mean: numberOrList.optional().describe('Normalization the model expects, applied inside the graph: x_model = (pixel - mean) / std. One value or one per channel.'),
  std: z.union([deviation, z.array(deviation).min(1).max(3)]).optional().describe('See mean.'),
  input: z.string().max(256).optional().describe('Name of the image input when the model has several.'),
  output: z.string().max(256).optional().describe('Name of the output with the class scores when there are several.'),
}).strict().superRefine((d, cx) => {
  if (!(d.max > d.min)) cx.addIssue({ code: 'custom', path: ['max'], message: `must be greater than min (got min=${d.min}, max=${d.max})` });
});

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
