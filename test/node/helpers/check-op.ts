/**
 * One gradient test case: a small ONNX graph (see op-graph.ts) and the same computation in TensorFlow.js (see
 * oracle.ts). `checkOps` compiles and runs every case with onnxruntime, compares the model output and the
 * gradient with the reference and the program's objective with its own output; it returns one line per failing
 * case so a test reports all of them at once.
 */
import { TOLERANCE, mismatch, oracle, type OracleOp } from './oracle.js';
import { compileOpGraph, runProgram, type OpGraph } from './op-graph.js';
import { Rng } from './random.js';

export interface OpCase extends OpGraph {
  /** shown when the case fails: the op and its attributes */
  name: string;
  /** y = op(x) in TensorFlow.js; `c` holds the float32 initializers */
  oracle: OracleOp;
  /** the input values (default: |x| in [0.05, 1), random signs) */
  x?: (rng: Rng, size: number) => Float32Array;
}

const sizeOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * The program's objective against sum_k w[n, k] out[n, k] from its own output. The sum may cancel, so each
 * row's error is measured against the sum of the magnitudes of its terms.
 */
function objectiveMismatch(objective: Float32Array, output: Float32Array, w: Float32Array, units: number): string | undefined {
  for (let i = 0; i < objective.length; i++) {
    let sum = 0;
    let scale = 1e-6;
    for (let k = 0; k < units; k++) {
      const term = w[i * units + k]! * output[i * units + k]!;
      sum += term;
      scale += Math.abs(term);
    }
    const error = Math.abs(objective[i]! - sum) / scale;
    if (!(error <= TOLERANCE)) return `objective[${i}]: relative error ${error.toExponential(2)} (got ${objective[i]}, expected ${sum})`;
  }
  return undefined;
}

/** Runs one case; a description of what went wrong, or undefined. */
export async function checkOp(c: OpCase, seed: number): Promise<string | undefined> {
  const rng = new Rng(seed);
  const x = (c.x ?? ((r, n) => r.signedAway(n, 0.05, 1)))(rng, sizeOf(c.inputShape));
  const n = c.inputShape[0]!;
  // the same weights on both sides (if both agree on K)
  const weights = (units: number) => new Rng(seed + 0x9e37).floats(n * units);
  const consts: Record<string, { dims: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(c.initializers ?? {})) if (t.data instanceof Float32Array) consts[k] = { dims: t.dims, data: t.data };
  try {
    const program = compileOpGraph(c);
    const w = weights(program.units);
    const run = await runProgram(program, x, c.inputShape, w);
    const ref = await oracle(c.oracle, x, c.inputShape, consts, weights);
    const problems = [
      mismatch('output', run.output, ref.output, TOLERANCE),
      mismatch('grad', run.grad, ref.grad, TOLERANCE),
      objectiveMismatch(run.objective, run.output, w, program.units),
    ].filter((p) => p !== undefined);
    return problems.length ? `${c.name}: ${problems.join('; ')}` : undefined;
  } catch (e) {
    return `${c.name}: ${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Runs every case (seeded by its position); the failures, empty when all pass. */
export async function checkOps(cases: OpCase[], seed = 1): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i++) {
    const f = await checkOp(cases[i]!, seed * 1000 + i);
    if (f) failures.push(f);
  }
  return failures;
}
