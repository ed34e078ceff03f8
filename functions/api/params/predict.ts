/** Query parameters of /api/v1/predict. */
import * as z from 'zod';
import { BASE64URL, q } from './query.js';

export const predictQuery = z.object({
  model: z.string().max(128).describe('Model id, e.g. fashion-mlp.'),
  sample: q.int(0, 99_999).optional().describe('Index of a shipped test image.'),
  x: z.string().max(16_000).regex(/^[A-Za-z0-9_-]+={0,2}$/, BASE64URL).optional()
    .describe('The image: base64url of its 8-bit pixels, row-major (HWC for colour).'),
});

/** POST bodies (PNG images) larger than this are refused with 413. */
export const MAX_IMAGE_BYTES = 1_048_576;
