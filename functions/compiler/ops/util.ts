/** Small helpers shared by the op rules. */
import { A, attr, type OnnxNode } from '../../onnx/model.js';
import { RuleError } from '../errors.js';
import type { InferContext, TensorInfo, VjpContext } from './types.js';

export { A, attr };

/** Output info equal to input i's (elementwise unary ops). */
export function sameAs(cx: InferContext, i = 0): TensorInfo[] {
  const t = cx.required(i);
  return [{ dtype: t.dtype, shape: t.shape }];
}

export function rankOf(t: TensorInfo, what = 'input'): number {
  if (!t.shape) throw new RuleError(`the rank of the ${what} is unknown`);
  return t.shape.length;
}

export function shapeOfInfo(t: TensorInfo, what = 'input') {
  if (!t.shape) throw new RuleError(`the shape of the ${what} is unknown`);
  return t.shape;
}

/** Rejects attributes whose value this rule does not implement. */
export function only(node: OnnxNode, key: string, ok: (v: unknown) => boolean, why: string): void {
  const a = node.attrs[key];
  if (a && !ok(a.value)) throw new RuleError(`attribute ${key}=${JSON.stringify(a.value)} is not supported (${why})`);
}

/** Copies a node with some attributes removed (legacy attributes that later opsets dropped). */
export function withoutAttrs(node: OnnxNode, ...keys: string[]): OnnxNode {
  const attrs = { ...node.attrs };
  for (const k of keys) delete attrs[k];
  return { ...node, attrs };
}

/** g * mask where mask = Cast(cond, float). */
export function maskedBy(cx: VjpContext, g: string, cond: string): string {
  const mask = cx.b.op('Cast', [cond], { to: A.int(1) }, 'mask');
  return cx.b.op('Mul', [g, mask]);
}
