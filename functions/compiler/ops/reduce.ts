/**
 * Reductions over axes. The gradient of a sum spreads g back over the reduced axes:
 *   ReduceSum:  dx = expand(g, shape(x))           (g unsqueezed first when keepdims=0)
 *   ReduceMean: dx = expand(g, shape(x)) / count   (count = size(x) / size(y), computed at run time when a
 *                                                  reduced axis is symbolic, such as the batch)
 * Ascent's target opset (17) takes ReduceSum's axes as an input and ReduceMean's as an attribute.
 */
import { RuleError } from '../errors.js';
import { axis as normAxis, type Dim } from '../shapes.js';
import { int64s } from '../../onnx/tensor.js';
import { A, attr, shapeOfInfo, withoutAttrs } from './util.js';
import { intValues } from './shape.js';
import type { OnnxNode } from '../../onnx/model.js';
import type { InferContext, OpRule, RuleTable, VjpContext } from './types.js';

/** The reduced axes of a legalized node (attribute or constant input), normalized; all axes when none given. */
function reducedAxes(n: OnnxNode, rank: number, given: Dim[] | undefined): number[] {
  const fromAttr = attr.ints(n, 'axes');
  const raw = fromAttr ?? given;
  if (raw && raw.some((d) => typeof d !== 'number')) throw new RuleError('reduction axes must be constants');
  if (!raw || raw.length === 0) {
    if (attr.int(n, 'noop_with_empty_axes', 0)) return [];
    return [...Array(rank).keys()];
  }
  return (raw as number[]).map((a) => normAxis(a, rank));
}

function inferReduce(n: OnnxNode, cx: InferContext) {
  const x = cx.required(0);
  const s = shapeOfInfo(x);
  const axes = reducedAxes(n, s.length, intValues(cx.input(1)));
  const keep = attr.int(n, 'keepdims', 1) === 1;
  const shape = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
  return [{ dtype: x.dtype, shape }];
}

/** `scale`: a constant factor, or the name of a float scalar computed at run time. */
function spread(n: OnnxNode, cx: VjpContext, scale: (axes: number[]) => number | string): (string | undefined)[] {
  const s = shapeOfInfo(cx.inInfo(0));
  // the axes input's values as inference saw them (an initializer, or computed from constants)
  const axes = reducedAxes(n, s.length, n.inputs[1] ? intValues(cx.inInfo(1)) : undefined);
  let g = cx.gy(0)!;
  if (attr.int(n, 'keepdims', 1) === 0 && axes.length > 0) g = cx.b.op('Unsqueeze', [g, cx.i64(axes)]);
  let dx = cx.b.op('Expand', [g, cx.shapeOf(cx.x(0))]);
  const k = scale(axes);
  if (k !== 1) dx = cx.b.op('Mul', [dx, typeof k === 'number' ? cx.f32(k) : k]);
  return [dx];
}

export const reduceRules: RuleTable = {
  ReduceSum: {
    legalize: (n, cx) => {
      if (cx.opset >= 13) return [n];
      const axes = attr.ints(n, 'axes');
      return [{ ...withoutAttrs(n, 'axes'), inputs: axes ? [n.inputs[0]!, cx.b.constant(int64s(axes), 'axes')] : [n.inputs[0]!] }];
    },
    infer: inferReduce,
    vjp: (n, cx) => spread(n, cx, () => 1),
  },
  ReduceMean: {
    // Opset 18 moved the axes to an input and added noop_with_empty_axes; opset 17 has the axes attribute only
    // (absent: all axes). No axes with noop_with_empty_axes=1 is the identity.
    legalize: (n, cx) => {
      if (cx.opset < 18) return [n];
      const axes = n.inputs[1] ? cx.constant(n.inputs[1]) : undefined;
      if (n.inputs[1] && !axes) throw new RuleError('ReduceMean axes must be a constant');
      const list = axes ? [...axes.data].map(Number) : [];
      const base = { ...withoutAttrs(n, 'noop_with_empty_axes'), inputs: [n.inputs[0]!] };
      if (list.length > 0) return [{ ...base, attrs: { ...base.attrs, axes: A.ints(list) } }];
      if (attr.int(n, 'noop_with_empty_axes', 0) === 1) return [{ ...base, opType: 'Identity', attrs: {} }];
      return [base];
    },
    infer: inferReduce,
    vjp: (n, cx) => spread(n, cx, (axes) => {
      const s = shapeOfInfo(cx.inInfo(0));
      let count = 1;
      for (const a of axes) {
        const d = s[a];
        if (typeof d === 'number') { count *= d; continue; }
        // a symbolic size (the batch): 1 / count = size(y) / size(x), at run time
        const size = (t: string) => cx.b.op('Cast', [cx.b.op('Size', [t])], { to: A.int(1) });
        return cx.b.op('Div', [size(cx.y(0)), size(cx.x(0))]);
      }
      return 1 / count;
    }),
  },
} satisfies Record<string, OpRule>;
