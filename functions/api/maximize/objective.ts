/**
 * What is maximized: a class (minus another, for a contrast) of the logits, log-probabilities or probabilities,
 * or one unit of a named intermediate tensor. The gradient program is compiled for `target`; the class or unit is
 * chosen at run time by the objective weights w (objective = Σ_c w_c·t_c: w = e_class − e_minus, or e_unit).
 */
import type { AscentSpec } from '../../engine/ascent.js';
import type { ModelInfo } from '../../registry/types.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { ApiProblem, PROBLEM, echo } from '../problem.js';
import { didYouMean } from '../params/suggest.js';
import type { Entries } from './canonical.js';

export interface Objective {
  /** 'logit' | 'logprob' | 'prob', or the name of the tensor given as `layer`: what the program is compiled for */
  target: string;
  classIndex: number | null;
  minusIndex: number | null;
  unit: number | null;
}

const bad = (parameter: string, detail: string, allowed?: unknown) =>
  new ApiProblem(400, PROBLEM.badParameter, detail, { parameter, ...(allowed !== undefined ? { allowed } : {}) });

/** A class given as an index or a label (any case). */
export function resolveClass(info: ModelInfo, value: string, parameter: string): number {
  if (/^\d+$/.test(value)) {
    const k = Number(value);
    if (k < info.labels.length) return k;
  } else {
    const k = info.labels.findIndex((l) => l.toLowerCase() === value.toLowerCase());
    if (k >= 0) return k;
  }
  throw bad(parameter, `Parameter "${parameter}" must be a class index 0..${info.labels.length - 1} or one of the labels of ${info.id} (got ${echo(value)}).${didYouMean(value, info.labels)}`, info.labels);
}

export function planObjective(q: MaximizeQuery, info: ModelInfo): Objective {
  if (q.layer === undefined && q.unit !== undefined) throw bad('unit', 'Parameter "unit" needs "layer" (the tensor it belongs to).');
  if (q.layer !== undefined && q.unit === undefined) throw bad('layer', 'Parameter "layer" needs "unit" (which unit of the tensor to maximize).');
  if (q.layer !== undefined && (q.class !== undefined || q.minus !== undefined)) throw bad('layer', 'Give either class (and minus) or layer and unit, not both.');
  if (q.layer === undefined && q.class === undefined) {
    throw bad('class', `Parameter "class" is required: a class index 0..${info.labels.length - 1} or a label.`, info.labels);
  }
  const classIndex = q.class !== undefined ? resolveClass(info, q.class, 'class') : null;
  const minusIndex = q.minus !== undefined ? resolveClass(info, q.minus, 'minus') : null;
  if (minusIndex !== null && minusIndex === classIndex) throw bad('minus', 'Parameters "class" and "minus" name the same class.');
  return { target: q.layer ?? q.target, classIndex, minusIndex, unit: q.unit ?? null };
}

export function objectiveEntries(o: Objective): Entries {
  return [
    ['target', o.target],
    ...(o.classIndex !== null ? [['class', o.classIndex] as [string, number]] : []),
    ...(o.minusIndex !== null ? [['minus', o.minusIndex] as [string, number]] : []),
    ...(o.unit !== null ? [['unit', o.unit] as [string, number]] : []),
  ];
}

/**
 * The engine's objective weights for a program with `units` units (the compiled target's width: the classes, or
 * the layer's units along axis 1), and the class whose probability is traced for each of `batch` starts.
 */
export function objectiveSpec(o: Objective, units: number, batch: number): Pick<AscentSpec, 'weights' | 'traceClass'> {
  const weights = new Float32Array(units);
  if (o.unit !== null) {
    if (o.unit >= units) throw bad('unit', `Parameter "unit" must be < ${units}, the number of units of "${o.target}".`, { minimum: 0, maximum: units - 1 });
    weights[o.unit] = 1;
  } else {
    weights[o.classIndex!] = 1;
    if (o.minusIndex !== null) weights[o.minusIndex] = -1;
  }
  return { weights, traceClass: Array<number>(batch).fill(o.classIndex ?? -1) };
}
