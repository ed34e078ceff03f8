/** Query parameters of /api/v1/samples/{index}. */
import * as z from 'zod';
import { q } from './query.js';

export const sampleQuery = z.object({
  format: z.enum(['json', 'png']).default('json').describe('json (pixels as base64url) or png.'),
  scale: q.int(1, 32).default(1).describe('Nearest-neighbour enlargement of the PNG.'),
});
