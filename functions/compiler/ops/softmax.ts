/**
 * Softmax and LogSoftmax along one axis (opset 13 semantics; older opsets coerce the input to 2-D first).
 *   Softmax:    y = e^x / sum(e^x)      dx = y * (g - sum(g * y))
 *   LogSoftmax: y = x - log sum(e^x)    dx = g - e^y * sum(g)
 * with the sums over the softmax axis, kept as size-1 axes so they broadcast back.
 */
import { axis as normAxis } from '../shapes.js';
import { A, attr, rankOf, sameAs } from './util.js';
import type { OnnxNode } from '../../onnx/model.js';
import type { LegalizeContext, OpRule, RuleTable } from './types.js';

/**
 * Before opset 13, Softmax(axis=k) flattens the input to [prod(d[:k]), prod(d[k:])] and normalizes each row
 * (ONNX spec, Softmax-11). When k is the last axis that is the same as opset 13; otherwise emit the
 * Flatten -> Softmax -> Reshape it stands for.
 */
function legalizeCoerced(n: OnnxNode, cx: LegalizeContext & { rank(name: string): number }): OnnxNode[] {
  if (cx.opset >= 13) return [n];
  const rank = cx.rank(n.inputs[0]!);
  const k = normAxis(attr.int(n, 'axis', 1), rank);
  if (k === rank - 1) return [{ ...n, attrs: { axis: A.int(-1) } }];
  const flat = cx.b.fresh(`${n.name}_2d`);
  const soft = cx.b.fresh(`${n.name}_rows`);
  const shape = cx.b.fresh(`${n.name}_shape`);
  return [
    { name: cx.b.fresh(`${n.name}_flatten`), opType: 'Flatten', domain: '', inputs: [n.inputs[0]!], outputs: [flat], attrs: { axis: A.int(k) } },
    { ...n, inputs: [flat], outputs: [soft], attrs: { axis: A.int(1) } },
    { name: cx.b.fresh(`${n.name}_shape_node`), opType: 'Shape', domain: '', inputs: [n.inputs[0]!], outputs: [shape], attrs: {} },
    { name: cx.b.fresh(`${n.name}_reshape`), opType: 'Reshape', domain: '', inputs: [soft, shape], outputs: [n.outputs[0]!], attrs: {} },
  ];
}

const softmaxAxis = (n: OnnxNode, rank: number) => normAxis(attr.int(n, 'axis', -1), rank);

export const softmaxRules: RuleTable = {
  Softmax: {
    legalize: legalizeCoerced as OpRule['legalize'],
    infer: (_n, cx) => sameAs(cx),
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const a = softmaxAxis(n, rankOf(cx.inInfo(0)));
      const gy = cx.b.op('Mul', [g, cx.y(0)]);
      const s = cx.b.op('ReduceSum', [gy, cx.i64([a])], { keepdims: A.int(1) });
      return [cx.b.op('Mul', [cx.y(0), cx.b.op('Sub', [g, s])])];
    },
  },
  LogSoftmax: {
    legalize: legalizeCoerced as OpRule['legalize'],
    infer: (_n, cx) => sameAs(cx),
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const a = softmaxAxis(n, rankOf(cx.inInfo(0)));
      const s = cx.b.op('ReduceSum', [g, cx.i64([a])], { keepdims: A.int(1) });
      return [cx.b.op('Sub', [g, cx.b.op('Mul', [cx.b.op('Exp', [cx.y(0)]), s])])];
    },
  },
};
