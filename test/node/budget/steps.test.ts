/**
 * The CPU budget's arithmetic: a request that gives steps is checked as it is; one that leaves them out runs as
 * many of the default as fit and its warning says how many and why.
 */
import { describe, expect, it } from 'vitest';
import { maximizeCpuMs, WORKERD_CPU } from '../../../functions/budget/cpu.js';
import { planSteps } from '../../../functions/api/budget.js';
import { DEFAULT_LIMITS } from '../../../functions/budget/limits.js';
import { ApiProblem } from '../../../functions/api/problem.js';
import { warningsFor } from '../../../functions/api/maximize/warnings.js';

// a 24 MFLOP two-conv CNN (the size of a typical uploaded MNIST net), 16 restarts
const work = { forwardFlops: 24e6, fixedBatch: null, batch: 16 };
const limits = { ...DEFAULT_LIMITS, cpuMs: 5000 };

describe('steps within the CPU budget', () => {
  it('runs the default 256 steps of one image of a 24 MFLOP model', () => {
    const p = planSteps(WORKERD_CPU, limits, { ...work, batch: 1 }, 256, false);
    expect(p.steps).toBe(256);
    expect(p.reduced).toBeUndefined();
  });

  it('refuses given steps over the limit with the estimate and the limit in ms', () => {
    try {
      planSteps(WORKERD_CPU, limits, work, 256, true);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApiProblem);
      const p = (e as ApiProblem).body();
      expect(p.status).toBe(422);
      expect(p.detail).toMatch(/^This request needs about [\d,]+ ms of CPU time; the limit is 5,000 ms per request\. Lower steps or restarts\.$/);
    }
  });

  it('leaving steps out runs the most that fit, and the warning says so', () => {
    const p = planSteps(WORKERD_CPU, limits, work, 256, false);
    expect(p.steps).toBeLessThan(256);
    expect(maximizeCpuMs(WORKERD_CPU, { ...work, steps: p.steps })).toBeLessThanOrEqual(5000);
    expect(maximizeCpuMs(WORKERD_CPU, { ...work, steps: p.steps + 1 })).toBeGreaterThan(5000);
    const [w] = warningsFor({
      stall: { zeroGradientAtStart: false, zeroGradientFrom: null, improved: true, start: 0 },
      steps: p.steps, objective: { target: 'logit', classIndex: 0, minusIndex: null, unit: null },
      labels: ['a', 'b'], starts: ['normal'], first: 0, final: 1, probabilities: [0.9, 0.1], target: 'logit', reduced: p.reduced!,
    });
    expect(w).toBe(`256 steps would need about ${Math.round(p.reduced!.needMs).toLocaleString('en-US')} ms of CPU time, more than the 5,000 ms a request may use here, so this result ran ${p.steps} steps; pass steps to choose (at most ${p.steps} fit).`);
  });
});
