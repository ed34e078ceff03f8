/** The gradient compiler's public surface. */
export { compileGradient, encodeProgram, programGraph, programMeta, NAMES, TARGET_OPSET, type CompileOptions, type GradientProgram, type ProgramMeta, type WrtOutput } from './compile.js';
export { CompileError, ModelError, type NodeProblem } from './errors.js';
export { DIFFERENTIABLE_OPS, SUPPORTED_OPS } from './ops/index.js';
export { LOGIT_TARGETS, isLogitTarget, type OutputKind, type Target, type TargetKind } from './target.js';
export { lastConvolution } from './layers.js';
export { compileProbe, encodeProbe, listTensors, type Probe, type TensorEntry } from './tensors.js';
