/**
 * Ascent's WebAssembly kernel (AssemblyScript, built by `npm run build:kernel` into ../build/kernel.wasm).
 * The host (functions/kernel/executor.ts) lays out the memory: the plan, the weights, the tensors, the job.
 * Nothing is allocated here: every function works on the memory it is pointed at.
 */
import { J_X } from '../abi';
import { gemmNN } from './gemm';
import { run as runPlan } from './interpreter';
import { ascend as ascendSteps, evaluate as evaluatePlan } from './ascent';

/** first byte the host may use */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

/** one run of the gradient program over one batch of the plan */
export function run(plan: usize, words: i32): void {
  runPlan(plan, words);
}

/** the gradient program over all samples of the job (J_X) */
export function evaluate(job: usize): void {
  evaluatePlan(job, <usize>load<i32>(job + (<usize>J_X << 2)));
}

/** steps from..to of the job's ascent */
export function ascend(job: usize, from: i32, to: i32): void {
  ascendSteps(job, from, to);
}

/** `reps` products Y[M,N] = A[M,K] . B[K,N]: the benchmark's measure of this machine's arithmetic rate */
export function gemm(M: i32, K: i32, N: i32, A: usize, B: usize, Y: usize, reps: i32): void {
  for (let r = 0; r < reps; r++) {
    memory.fill(Y, 0, <usize>(M * N) << 2);
    gemmNN(M, K, N, A, B, Y);
  }
}

// The kernels and their parts, exported so that the optimizer keeps each a function of its own instead of inlining
// it into its one caller: V8 compiles a WebAssembly function as a whole when it is first called (baseline tier),
// and recompiles it with its optimizing tier, in the background, once it has run for a while. Small functions
// called once per step or per op tier up during a fresh isolate's first ascent (a loop called once per request
// never does: there is no on-stack replacement), each compiles quickly, and only the ones a program runs are
// compiled: the interpreter's per-op argument readers, the products' cases (one row, pairs of rows, masked,
// leftover columns), Adam apart from the other optimizers, each projection apart.
export { conv, convT } from './conv';
export { avgPool, maxPool, unpool } from './pool';
export { affine, binary, reduce, selectGt, softmax, transpose, unary } from './elementwise';
export { dot4x2, gemmNN, gemmNT, gemmRows, nnGatheredRest, ntColumns, ntMasked, ntMixed, ntPairs, ntPlain, ntRow } from './gemm';
export {
  opAffine, opAvgPool, opBinary, opConv, opConvT, opGemm, opMaxPool, opReduce, opSelectGt, opSoftmax, opTranspose, opUnary, opUnpool,
} from './interpreter';
export { adamStep, otherStep, projectBox, projectL2, projectLinf, projectMask } from './ascent';
