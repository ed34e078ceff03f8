/** The shapes of the API's JSON answers that the pages read (see functions/api/render.ts and the routes). */
import type { PresetSettings } from '../../../functions/api/maximize/defaults.ts';
import type { ProblemBody } from '../../../functions/api/problem.ts';

/** One query parameter of an endpoint, as the OpenAPI document describes it. */
export interface ParamSpec {
  name: string;
  required: boolean;
  description?: string;
  type?: string;
  default?: string | number;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  pattern?: string;
}

/** Defaults the API derives rather than declares, for one preset (functions/api/maximize/defaults.ts). */
export type PlannedDefaults = PresetSettings;

export interface ModelInfo {
  id: string;
  title: string;
  labels: string[];
  input: { name?: string; shape: number[]; min: number; max: number };
  accuracy: number | null;
  parameters?: number;
  architecture?: string;
  source?: string;
}

/** RFC 9457 problem details, as every API error carries them (the API's own type). */
export type Problem = ProblemBody;

export interface Progress {
  step: number;
  steps: number;
  /** one value per restart */
  objective: number[];
  probability: (number | null)[];
}

export interface MaximizeResult {
  model: string;
  class: number | null;
  label: string | null;
  minus: number | null;
  minusLabel: string | null;
  target: string;
  steps: number;
  objective: number;
  score: number;
  probability: number | null;
  probabilities: number[];
  logits: number[];
  predicted: { class: number; label: string };
  image: { shape: number[]; layout: string; min: number; max: number; data: number[]; levels: number[] };
  trace: { objective: number[]; probability: number[] | null };
  restart: number;
  params: Record<string, string | number>;
  url: string;
  work: { cpuMs: number };
  /** what the result says about itself (a stalled run, steps cut by the budget), in words */
  warnings: string[];
}

export interface PredictResult {
  model: string;
  sample?: { index: number; class: number; label: string };
  predicted: { class: number; label: string };
  probabilities: number[];
  logits: number[];
}

export interface SamplesInfo {
  count: number;
  height: number;
  width: number;
  dataset: string;
  classes: { class: number; label: string; first: number; count: number }[];
}

export interface SampleJson {
  index: number;
  class: number;
  label: string;
  height: number;
  width: number;
  /** base64url of the 8-bit pixels */
  x: string;
}
