/**
 * What a result says about itself when it is not what was asked for, in words a user can act on: the engine's
 * stall report (engine/stall.ts), where the search had to start, and steps the budget cut. Shown in the JSON
 * (`warnings`), in the event stream and, for PNGs, in the X-Ascent-Warning header (ASCII, joined by " | ").
 */
import type { Stall } from '../../engine/stall.js';
import type { StepsPlan } from '../budget.js';
import type { Objective } from './objective.js';

/** How the units of the maximized tensor responded over the shipped images (activity.ts), when it is known. */
export interface UnitActivity {
  /** on how many of the images the unit responded */
  active: number;
  /** the image it responded to most */
  best: number;
  images: number;
}

export interface WarningContext {
  stall: Stall;
  steps: number;
  objective: Objective;
  labels: readonly string[];
  /** the start by name, then the fallback starts the engine may have moved to */
  starts: readonly string[];
  /** objective at the start and of the result */
  first: number;
  final: number;
  unit?: UnitActivity;
  reduced?: StepsPlan['reduced'];
  /** the result's class probabilities */
  probabilities: ArrayLike<number>;
  /** the target: logit, logprob, prob or a tensor */
  target: string;
}

const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const num = (v: number) => Number(v.toPrecision(4)).toString();

const START_NAMES: Record<string, string> = {
  dark: 'the dark start (init=dark)',
  normal: 'mid-gray noise (init=normal)',
  zeros: 'a constant 0 (init=zeros)',
  gray: 'mid-gray (init=gray)',
  uniform: 'uniform noise (init=uniform)',
};
const startName = (init: string) => START_NAMES[init] ?? `init=${init}`;

/** What the objective is, for a sentence: `unit 10 of dense/Relu` or `the score of class "Sneaker"`. */
function what(o: Objective, labels: readonly string[]): string {
  if (o.unit !== null) return `unit ${o.unit} of ${o.target}`;
  const label = (k: number) => `"${labels[k] ?? k}"`;
  return o.minusIndex !== null ? `the score of class ${label(o.classIndex!)} minus ${label(o.minusIndex)}` : `the score of class ${label(o.classIndex!)}`;
}

/** The zero-gradient sentence: why nothing moved, and what to try. */
function zeroAtStart(c: WarningContext): string {
  const head = 'The gradient is exactly zero at this start';
  const { objective: o, unit } = c;
  if (o.unit !== null && unit && unit.images > 0) {
    if (unit.active === 0) {
      return `${head}: ${what(o, c.labels)} is inactive here and on all ${count(unit.images)} shipped samples; try another unit.`;
    }
    return `${head}: ${what(o, c.labels)} is inactive here (it responds on ${count(unit.active)} of ${count(unit.images)} shipped samples); start from one of them, e.g. sample=${unit.best}.`;
  }
  if (o.unit !== null) return `${head}: ${what(o, c.labels)} is inactive here, so the image cannot change; try another start (init, seed) or another unit.`;
  return `${head}: no path from the input to ${what(o, c.labels)} is active here (every ReLU on the way is off), so the image cannot change; try another start (init=normal, or another seed).`;
}

export function warningsFor(c: WarningContext): string[] {
  const out: string[] = [];
  const { stall } = c;
  if (c.reduced) {
    out.push(`${c.reduced.from} steps would need about ${count(c.reduced.needMs)} ms of CPU time, more than the ${count(c.reduced.limitMs)} ms a request may use here, so this result ran ${c.steps} steps; pass steps to choose (at most ${c.steps} fit).`);
  }
  if (stall.start > 0) {
    out.push(`The gradient is exactly zero at ${startName(c.starts[0]!)} for this model, so the search started from ${startName(c.starts[stall.start]!)} instead.`);
  }
  if (stall.zeroGradientAtStart) out.push(zeroAtStart(c));
  else if (stall.zeroGradientFrom !== null) {
    out.push(`The gradient became exactly zero at step ${stall.zeroGradientFrom} and stayed zero: the search ran into a region where ${what(c.objective, c.labels)} does not respond, and the image stopped changing there; try a smaller lr or fewer steps.`);
  } else if (!stall.improved) {
    out.push(`The objective did not improve in ${c.steps} steps (from ${num(c.first)} to ${num(c.final)}); try a smaller lr, another optimizer or another start.`);
  } else if (c.objective.classIndex !== null && c.objective.unit === null) {
    // the score rose, but another class's rose faster: the model does not give the image to the class asked for
    const k = c.objective.classIndex;
    let top = 0;
    for (let j = 1; j < c.probabilities.length; j++) if (c.probabilities[j]! > c.probabilities[top]!) top = j;
    const pk = c.probabilities[k]!;
    if (top !== k && pk < 0.5) {
      const label = (j: number) => `"${c.labels[j] ?? j}"`;
      const fix = c.target === 'logit' ? `; try target=logprob, or minus=${top}` : `; try another start or more steps`;
      out.push(`The model gives this image to class ${label(top)} (p = ${c.probabilities[top]!.toFixed(3)}), not ${label(k)} (p = ${pk.toFixed(3)}): the score of ${label(k)} rose, but ${label(top)}'s rose more${fix}.`);
    }
  }
  return out;
}

/** The header form: one line of printable ASCII. */
export function warningHeader(warnings: readonly string[]): string {
  return warnings.join(' | ').replace(/[^\x20-\x7e]/g, '?');
}
