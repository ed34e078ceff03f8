/**
 * The budget in HTTP terms. The estimates and limits are in functions/budget/ (CPU milliseconds per request, from
 * a model of the engine's cost calibrated in workerd); here a request over its limits becomes a 422 problem
 * before any computation, so no query string can run up the bill, and a maximize request that leaves `steps`
 * out runs as many of the default 256 steps as fit.
 */
import { maximizeCpuMs, stepsWithin, type CpuModel, type MaximizeWork } from '../budget/cpu.js';
import { describeExcess, exceeded, type Limits, type Need } from '../budget/limits.js';
import { ApiProblem, PROBLEM } from './problem.js';

/** Throws the 422 over-budget problem when `need` exceeds `limits`; `advice` says what to lower. */
export function checkBudget(need: Need, limits: Limits, what: string, advice: string): void {
  const over = exceeded(need, limits);
  if (over.length === 0) return;
  throw new ApiProblem(422, PROBLEM.overBudget, `${what} needs ${over.map(describeExcess).join('; ')} per request. ${advice}`, {
    limit: Object.fromEntries(over.map((e) => [e.resource, e.limit])),
    requested: Object.fromEntries(over.map((e) => [e.resource, Math.ceil(e.need)])),
  });
}

export interface StepsPlan {
  steps: number;
  need: { cpuMs: number };
  /** set when steps were left out and fewer than the default fit: the default and what it would have needed */
  reduced?: { from: number; needMs: number; limitMs: number };
}

/** Work besides the steps that the request also pays for (an animation's frames), and what to lower for it. */
export interface ExtraWork {
  cpuMs: number;
  advice: string;
}

/**
 * The steps a maximize request runs, and what it needs: as given (over the limit: 422), or, when left out, the
 * default or as many of them as fit (none fit: 422).
 */
export function planSteps(cpu: CpuModel, limits: Limits, work: Omit<MaximizeWork, 'steps'>, steps: number, given: boolean, extra?: ExtraWork): StepsPlan {
  const extraMs = extra?.cpuMs ?? 0;
  const need = (s: number): { cpuMs: number } => ({ cpuMs: maximizeCpuMs(cpu, { ...work, steps: s }) + extraMs });
  const advice = extra?.advice ?? (work.batch > 1 ? 'Lower steps or restarts.' : 'Lower steps.');
  if (given || need(steps).cpuMs <= limits.cpuMs) {
    checkBudget(need(steps), limits, 'This request', advice);
    return { steps, need: need(steps) };
  }
  const fit = Math.min(steps, stepsWithin(cpu, work, limits.cpuMs - extraMs));
  if (fit < 1) checkBudget(need(1), limits, 'Even one step of this request', extra?.advice ?? (work.batch > 1 ? 'Lower restarts.' : 'This model is too large for this deployment.'));
  return { steps: fit, need: need(fit), reduced: { from: steps, needMs: need(steps).cpuMs, limitMs: limits.cpuMs } };
}
