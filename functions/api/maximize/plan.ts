/**
 * From validated maximize parameters and a model to a plan: the engine's spec (./objective.ts, ./range.ts,
 * ./start.ts, ./constraints.ts, ./regularization.ts, the optimizer below), what to encode (./output.ts) and the
 * canonical form of the request (./canonical.ts) that names the result in caches and ETags.
 *
 * Planning has two steps because a cache hit must not wait for a compiled program: planMaximize checks everything
 * the parameters and the model description decide; ascentSpec finishes the engine's spec once the compiled
 * program is known (its unit count decides whether `unit` exists). Through a prior (./prior.ts) the start points
 * are codes z and the route adds the engine's latent search.
 */
import type { AscentSpec } from '../../engine/ascent.js';
import type { ProgramMeta } from '../../compiler/index.js';
import type { Samples } from '../../registry/samples.js';
import type { EngineName, ModelInfo } from '../../registry/types.js';
import type { MaximizeQuery } from '../params/maximize.js';
import { canonicalEntries, engineEntry, type Entries } from './canonical.js';
import { planConstraints } from './constraints.js';
import { PRIOR_SETTINGS, defaultLr, defaultSteps, irrelevant, presetSettings, type Given } from './defaults.js';
import { objectiveEntries, objectiveSpec, planObjective, type Objective } from './objective.js';
import { planOutput, type OutputSpec } from './output.js';
import { planPrior, type PriorPlan } from './prior.js';
import type { PriorEntry } from '../../registry/priors.js';
import { planRange } from './range.js';
import { planRegularization } from './regularization.js';
import { planStart } from './start.js';

export interface MaximizePlan {
  objective: Objective;
  /** the engine's spec but for what needs the compiled program (objective weights) and the start images */
  spec: Omit<AscentSpec, 'starts' | 'weights' | 'traceClass' | 'onStep'>;
  /** the start images (built on first use: a cache hit never needs them) */
  starts(): Float32Array;
  /** the start's name, and the fallback starts the engine may move to (engine alternatives), by name */
  start: { init: string; fallbacks: string[] };
  alternatives(): Float32Array[];
  /** whether steps were given (else the default, which the budget may lower) */
  stepsGiven: boolean;
  output: OutputSpec;
  /** canonical parameters of the requested result, sorted by name */
  canonical: Entries;
  /** the same computation in the other format, with default output settings: cached alongside */
  twin: { output: OutputSpec; canonical: Entries };
  /** a search through a prior: starts() gives codes z */
  prior?: PriorPlan;
  /**
   * the engine that computes the result, part of its canonical key: the model's (for a target whose program the
   * kernel does not cover, the route finds onnxruntime instead); through a prior, of the composed program
   */
  engine: EngineName;
}

/**
 * `samples`: the host's test images, asked for only when the start is one of them; `priors`: the image priors the
 * host offers (prior= names one); `stepsGiven`: whether the URL gave steps (the parsed query has the default filled in).
 */
export function planMaximize(q: MaximizeQuery, info: ModelInfo, samples: () => Samples | undefined, priors: PriorEntry[] = [], stepsGiven = true): MaximizePlan {
  // the preset first, explicit parameters override it
  const given: Given = { ...q, settings: presetSettings(q.preset) };
  const objective = planObjective(q, info);
  const range = planRange(q, info);
  const prior = planPrior(q, info, range.layout, priors);
  const start = planStart(q, info, samples, range, given);
  const { constraints, entries: constraintEntries } = planConstraints(q, range, given);
  const { regularization, entries: regularizationEntries } = planRegularization(q, given, range.grid);
  const lr = q.lr ?? (prior ? PRIOR_SETTINGS.lr : defaultLr(given.settings, range.grid));
  const batch = q.restarts;
  const steps = stepsGiven ? q.steps : defaultSteps(q.prior);
  const { output, twin } = planOutput(q, range.layout, steps);
  const engine: EngineName = info.engine ?? 'onnxruntime';

  // everything that determines the numbers (output options are added per format by canonicalEntries)
  const computation: Entries = [
    ['model', info.id],
    ['sha256', info.sha256.slice(0, 16)],
    engineEntry(engine),
    ...objectiveEntries(objective),
    ['optimizer', q.optimizer],
    ['lr', lr],
    ['steps', steps],
    ...start.entries,
    ...(irrelevant('seed', given) ? [] : [['seed', q.seed] as [string, number]]),
    ...constraintEntries,
    ...regularizationEntries,
    ['restarts', batch],
    ...(irrelevant('pick', given) ? [] : [['pick', q.pick] as [string, string]]),
    ...(prior ? prior.entries : []),
  ];

  return {
    objective,
    spec: {
      layout: range.layout,
      grid: range.grid,
      constraints,
      optimizer: q.optimizer,
      lr,
      steps,
      regularization,
      batch,
      seed: q.seed,
    },
    starts: () => (prior ? prior.starts(batch) : start.starts(batch)),
    // fallback starts are images: a search through a prior starts from codes
    start: { init: start.init, fallbacks: prior ? [] : start.fallbacks },
    alternatives: () => (prior ? [] : start.alternatives(batch)),
    stepsGiven,
    output,
    canonical: canonicalEntries(computation, output),
    twin: { output: twin, canonical: canonicalEntries(computation, twin) },
    ...(prior ? { prior } : {}),
    engine,
  };
}

/** The engine's whole spec, once the compiled program is known. */
export function ascentSpec(plan: MaximizePlan, program: Pick<ProgramMeta, 'units'>): AscentSpec {
  const alternatives = plan.alternatives();
  return {
    ...plan.spec, ...objectiveSpec(plan.objective, program.units, plan.spec.batch), starts: plan.starts(),
    ...(alternatives.length ? { alternatives } : {}),
  };
}
