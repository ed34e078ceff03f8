/**
 * The upload's deadline: admission checks the time taken between its phases and refuses a model that ran past the
 * deadline with a 422 naming it, even when every estimate made from the file fits. The clock is a parameter: the
 * tests give one that advances a fixed amount at every reading, so a model cheap by the estimates is "slow".
 */
import { describe, expect, it } from 'vitest';
import { admit, type AdmissionBudget } from '../../../functions/api/admission.js';
import { ApiProblem } from '../../../functions/api/problem.js';
import { WORKERD_CPU_MODELS } from '../../../functions/budget/cpu.js';
import { DEFAULT_LIMITS } from '../../../functions/budget/limits.js';
import { instantiateKernel } from '../../../functions/hosts/node/kernel.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { chainModel } from '../../hostile/onnx.js';

const DESCRIPTION = { min: 0, max: 1 };

/** A clock that has moved on `stepMs` more at each reading. */
function steppingClock(stepMs: number): () => number {
  let now = 0;
  return () => (now += stepMs) - stepMs;
}

async function refusal(file: Uint8Array, budget: AdmissionBudget): Promise<ApiProblem> {
  try {
    await admit(file, DESCRIPTION, await loadOrt(), budget);
  } catch (e) {
    if (e instanceof ApiProblem) return e;
    throw e;
  }
  throw new Error('the model was admitted');
}

describe('admission deadline', () => {
  const base = { cpu: WORKERD_CPU_MODELS, limits: DEFAULT_LIMITS };

  it('a small kernel model admitted within the deadline', async () => {
    const admitted = await admit(chainModel(8, 'Relu'), DESCRIPTION, await loadOrt(), { ...base, instantiateKernel, clock: steppingClock(100) });
    expect(admitted.info.engine).toBe('kernel');
  });

  it('the same model refused when its phases run past the deadline (by default twice the CPU limit)', async () => {
    // readings 0, 4000 (file read), 8000 (compiled), 12000 (kernel planned): over 10,000 ms
    const p = await refusal(chainModel(8, 'Relu'), { ...base, instantiateKernel, clock: steppingClock(4000) });
    expect(p.status).toBe(422);
    expect(p.message).toMatch(/admitting it had taken 12,000 ms by the end of planning the program on the kernel, over the upload deadline of 10,000 ms/);
    expect(p.extra).toMatchObject({ limit: { deadlineMs: 2 * DEFAULT_LIMITS.cpuMs }, elapsedMs: 12000, phase: 'planning the program on the kernel' });
  });

  it('an onnxruntime model refused after its session was opened, with a deadline given', async () => {
    // readings 0, 1000, 2000, 3000, 4000 (session open): over 3,500 ms
    const p = await refusal(chainModel(8, 'Elu'), { ...base, deadlineMs: 3500, clock: steppingClock(1000) });
    expect(p.status).toBe(422);
    expect(p.message).toMatch(/by the end of opening an onnxruntime session, over the upload deadline of 3,500 ms/);
  });
});
