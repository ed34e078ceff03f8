/** Query parameters of GET /api/v1/exemplars (also the source of its OpenAPI description). */
import * as z from 'zod';
import { SCORES } from '../../exemplars/scores.js';
import { q } from './query.js';

export const MAX_EXEMPLARS = 64;

export const exemplarsQuery = z.object({
  model: z.string().max(128).describe('Model id, e.g. fashion-mlp (see /api/v1/models); uploads whose input is a 28x28 single-channel image too.'),
  class: z.string().max(64).describe('The class: a 0-based index or a label (case-insensitive), e.g. 7 or Sneaker.'),
  k: q.int(1, MAX_EXEMPLARS).default(9).describe('How many test images to list.'),
  target: z.enum(SCORES).default('logit').describe('The score the images are ranked by: the class logit (default), its log-probability or its probability.'),
  order: z.enum(['top', 'bottom']).default('top').describe('top: the highest scores first (the most K-like images); bottom: the lowest first (the least K-like).'),
  format: z.enum(['png', 'json']).default('png').describe('png: the images as a grid, best first, row by row, with thin white separators; json: the list (sample, score, probability, label).'),
  scale: q.int(1, 32).optional().describe('Nearest-neighbour enlargement of each image in the PNG (default: the grid about 224 pixels wide).'),
});

export type ExemplarsQuery = z.output<typeof exemplarsQuery>;
