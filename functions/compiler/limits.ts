/**
 * Sizes the compiler accepts. Every tensor's size must be known when a model is compiled (up to the batch
 * dimension of its input), so what a run of the program allocates is known, and bounded, before it runs: a
 * run-time Pad, Expand or ConstantOfShape that would make a gigabyte is refused at compile time instead.
 */
import { RuleError } from './errors.js';
import { fmt, type Dim } from './shapes.js';

export interface CompileLimits {
  /** elements of one tensor: per sample when it has the batch axis, in all otherwise */
  maxTensorElements: number;
  /** dimensions of one tensor */
  maxRank: number;
  /**
   * nodes of the model's graph: onnxruntime's time per run grows with the nodes whatever their FLOPs (a chain of
   * 5,000 Relu nodes on a 28x28 image took 42 s for 100 steps), so a graph long in nodes is refused as a whole
   */
  maxNodes: number;
}

export const DEFAULT_COMPILE_LIMITS: CompileLimits = { maxTensorElements: 16 * 1024 * 1024, maxRank: 16, maxNodes: 1000 };

export interface TensorSize {
  elements: number;
  /** true: `elements` per sample (the shape holds the batch symbol) */
  perRow: boolean;
}

/**
 * Ops whose output holds as many elements as their first input: when shape inference cannot name the output's
 * dims (a Flatten of [N, 2, 3] at axis 2 is [N*2, 3], which a single symbol cannot say), its size is still known.
 */
export const SIZE_PRESERVING = new Set([
  'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Transpose', 'Cast', 'Softmax', 'LogSoftmax',
  'BatchNormalization', 'Clip', 'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Sigmoid', 'HardSigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt',
  'Neg', 'Abs', 'Reciprocal', 'Softplus', 'Softsign', 'Sign', 'Not',
]);

/**
 * The size of a tensor of `shape`, where `batch` is the input's batch symbol (undefined for a fixed batch), or
 * undefined when some dimension is not known. Throws a RuleError when it is negative, not an integer, or over the
 * limits.
 */
export function tensorSize(shape: readonly Dim[] | null, batch: string | undefined, limits: CompileLimits): TensorSize | undefined {
  if (!shape) return undefined;
  if (shape.length > limits.maxRank) throw new RuleError(`an output has ${shape.length} dimensions; at most ${limits.maxRank} are accepted`);
  let elements = 1;
  let rows = 0;
  let unknown = false;
  for (const d of shape) {
    if (d === null) {
      unknown = true;
      continue;
    }
    if (typeof d === 'string') {
      if (d !== batch) throw new RuleError(`an output's shape ${fmt(shape)} has the symbolic dimension "${d}", which is not the input's batch size`);
      rows++;
      continue;
    }
    if (!Number.isSafeInteger(d) || d < 0) throw new RuleError(`an output's shape ${fmt(shape)} has the dimension ${d}`);
    elements *= d;
  }
  if (unknown) return undefined;
  return checkSize({ elements, perRow: rows > 0 }, fmt(shape), rows, limits);
}

function checkSize(size: TensorSize, shape: string, rows: number, limits: CompileLimits): TensorSize {
  if (rows > 1) throw new RuleError(`an output's shape ${shape} holds the batch size ${rows} times (it would grow as the batch to the power ${rows})`);
  if (size.elements > limits.maxTensorElements) {
    throw new RuleError(`an output of shape ${shape} would hold ${size.elements.toLocaleString('en-US')} elements${rows ? ' per sample' : ''}; at most ${limits.maxTensorElements.toLocaleString('en-US')} are accepted`);
  }
  return size;
}

/** The error for a tensor whose size shape inference could not determine. */
export function unknownSize(shape: readonly Dim[] | null): RuleError {
  return new RuleError(`an output's shape ${fmt(shape)} is not known when the model is compiled; Ascent needs every tensor's size to bound its memory`);
}

/** Bounds an array the compiler itself builds (a constant of the backward pass) before allocating it. */
export function checkConstant(elements: number, what: string, limits: CompileLimits = DEFAULT_COMPILE_LIMITS): void {
  if (!Number.isSafeInteger(elements) || elements > limits.maxTensorElements) {
    throw new RuleError(`${what} would hold ${elements.toLocaleString('en-US')} elements; at most ${limits.maxTensorElements.toLocaleString('en-US')} are accepted`);
  }
}
