/**
 * The contract every op rule fulfils. One `OpRule` per ONNX op type, grouped in files by family (linear,
 * elementwise, conv, pool, shape, softmax, normalization); `ops/index.ts` is the table.
 *
 *   legalize: rewrite a node written for the model's opset into Ascent's target opset (17) form,
 *   infer:    output dtypes and (symbolic) shapes, plus known values for shape arithmetic,
 *   vjp:      the vector-Jacobian product: given the gradients of the outputs, emit ONNX nodes computing the
 *             gradients of the inputs (reverse-mode autodiff, one rule per primitive as in tinygrad/JAX).
 */
import type { Attr, Dim, OnnxNode } from '../../onnx/model.js';
import type { DType, Tensor } from '../../onnx/tensor.js';
import type { GraphBuilder } from '../../onnx/builder.js';

export interface TensorInfo {
  dtype: DType;
  /** null: rank unknown */
  shape: Dim[] | null;
  /** the full value, when it is known at compile time (initializers, Constant nodes) */
  value?: Tensor;
  /** for 1-D integer tensors computed from shapes (Shape, Gather, Concat...): their values, possibly symbolic */
  dims?: Dim[];
}

export interface LegalizeContext {
  /** the model's ai.onnx opset version */
  opset: number;
  b: GraphBuilder;
  /** value of a tensor if it is a compile-time constant (an initializer) */
  constant(name: string): Tensor | undefined;
  /** turns `name` into an initializer holding `value` (Constant nodes) */
  define(name: string, value: Tensor): void;
  /** the inferred shape of a tensor computed before this node (null: unknown rank) */
  shape(name: string): Dim[] | null;
}

export interface InferContext {
  /** info of input i (undefined for an omitted optional input) */
  input(i: number): TensorInfo | undefined;
  /** input i's info, failing with a clear message when it is missing */
  required(i: number): TensorInfo;
}

export interface VjpContext {
  b: GraphBuilder;
  /** name of forward input i / output i */
  x(i: number): string;
  y(i: number): string;
  /** forward tensor info */
  inInfo(i: number): TensorInfo;
  outInfo(i: number): TensorInfo;
  /** gradient of output i, if any flows back into it */
  gy(i: number): string | undefined;
  /** whether input i needs a gradient (it depends on the differentiated input) */
  needs(i: number): boolean;
  /** the compile-time value of input i, if constant */
  constValue(i: number): Tensor | undefined;
  /** a float32 / int64 constant */
  f32(values: number[] | number, dims?: number[]): string;
  i64(values: number[], dims?: number[]): string;
  /** runtime shape of a forward tensor (one Shape node per tensor, shared) */
  shapeOf(name: string): string;
  /** reshape `g` to the shape of the forward tensor `x` */
  reshapeLike(g: string, x: string): string;
  /** sum `g` (shaped like `from`) down to shape `to`, undoing NumPy broadcasting */
  unbroadcast(g: string, from: readonly Dim[], to: readonly Dim[]): string;
}

export interface OpRule {
  legalize?(node: OnnxNode, cx: LegalizeContext): OnnxNode[];
  infer(node: OnnxNode, cx: InferContext): TensorInfo[];
  /** absent: the op has no gradient (shape arithmetic, comparisons); an error if a gradient must flow through it */
  vjp?(node: OnnxNode, cx: VjpContext): (string | undefined)[];
}

export type RuleTable = Record<string, OpRule>;
export type { Attr, Dim, OnnxNode, Tensor, DType };
