/**
 * Matrix products. Weights are usually constants, so only the gradient with respect to the activation operand
 * is emitted (the other operand gets one too if it depends on the input).
 */
import { RuleError } from '../errors.js';
import { broadcast, fmt } from '../shapes.js';
import { A, attr, rankOf, shapeOfInfo, withoutAttrs } from './util.js';
import type { Dim } from '../../onnx/model.js';
import type { RuleTable, VjpContext } from './types.js';

/** Swaps the last two axes of a tensor of rank r (runtime Transpose). */
function transposeLast2(cx: VjpContext, name: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return cx.b.op('Transpose', [name], { perm: A.ints(perm) });
}

export const linearRules: RuleTable = {
  // Y = alpha * A' B' + beta * C with A' = transA ? A^T : A, B' = transB ? B^T : B (ONNX spec, Gemm).
  Gemm: {
    legalize: (n) => [withoutAttrs(n, 'broadcast')],
    infer: (n, cx) => {
      const a = shapeOfInfo(cx.required(0), 'A');
      const b = shapeOfInfo(cx.required(1), 'B');
      if (a.length !== 2 || b.length !== 2) throw new RuleError(`Gemm needs 2-D operands, got ${fmt(a)} and ${fmt(b)}`);
      const tA = attr.int(n, 'transA', 0);
      const tB = attr.int(n, 'transB', 0);
      if ((tA !== 0 && tA !== 1) || (tB !== 0 && tB !== 1)) throw new RuleError(`transA=${tA}, transB=${tB}: each must be 0 or 1`);
      const m = tA ? a[1]! : a[0]!;
      const k = tB ? b[0]! : b[1]!;
      const inner = [tA ? a[0] : a[1], tB ? b[1] : b[0]];
      if (typeof inner[0] === 'number' && typeof inner[1] === 'number' && inner[0] !== inner[1]) {
        throw new RuleError(`the operands ${fmt(a)} and ${fmt(b)} (transA=${tA}, transB=${tB}) do not multiply`);
      }
      return [{ dtype: 'float32', shape: [m, k] }];
    },
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const alpha = attr.float(n, 'alpha', 1);
      const beta = attr.float(n, 'beta', 1);
      const tA = attr.int(n, 'transA', 0);
      const tB = attr.int(n, 'transB', 0);
      const out: (string | undefined)[] = [];
      // dA' = alpha g B'^T.  transA=0: dA = Gemm(g, B, transB=!tB).  transA=1: dA = (dA')^T = alpha B' g^T.
      if (cx.needs(0)) {
        out[0] = tA
          ? cx.b.op('Gemm', [cx.x(1), g], { alpha: A.float(alpha), transA: A.int(tB), transB: A.int(1) })
          : cx.b.op('Gemm', [g, cx.x(1)], { alpha: A.float(alpha), transB: A.int(tB ? 0 : 1) });
      }
      // dB' = alpha A'^T g.  transB=0: dB = alpha A'^T g.  transB=1: dB = alpha g^T A'.
      if (cx.needs(1)) {
        out[1] = tB
          ? cx.b.op('Gemm', [g, cx.x(0)], { alpha: A.float(alpha), transA: A.int(1), transB: A.int(tA) })
          : cx.b.op('Gemm', [cx.x(0), g], { alpha: A.float(alpha), transA: A.int(tA ? 0 : 1) });
      }
      // dC = beta g, summed over the broadcast axes
      if (n.inputs[2] && cx.needs(2)) {
        const scaled = beta === 1 ? g : cx.b.op('Mul', [g, cx.f32(beta)]);
        out[2] = cx.unbroadcast(scaled, cx.outInfo(0).shape!, cx.inInfo(2).shape!);
      }
      return out;
    },
  },

  // Y = A @ B with NumPy matmul broadcasting over the leading axes (ONNX spec, MatMul).
  // dA = g @ B^T, dB = A^T @ g, each summed back to its operand's shape.
  MatMul: {
    infer: (_n, cx) => {
      const a = shapeOfInfo(cx.required(0), 'A');
      const b = shapeOfInfo(cx.required(1), 'B');
      if (a.length < 2 || b.length < 2) throw new RuleError(`MatMul with a 1-D operand (${fmt(a)} @ ${fmt(b)}) is not supported`);
      const [ka, kb] = [a[a.length - 1], b[b.length - 2]];
      if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) throw new RuleError(`the operands ${fmt(a)} and ${fmt(b)} do not multiply`);
      const lead = broadcast(a.slice(0, -2), b.slice(0, -2));
      return [{ dtype: 'float32', shape: [...lead, a[a.length - 2]!, b[b.length - 1]!] }];
    },
    vjp: (_n, cx) => {
      const g = cx.gy(0)!;
      const y = cx.outInfo(0).shape!;
      const ra = rankOf(cx.inInfo(0));
      const rb = rankOf(cx.inInfo(1));
      const out: (string | undefined)[] = [];
      if (cx.needs(0)) {
        // the common dense layer (2-D activations, 2-D weights): one Gemm with transB reads B as it is
        const gA = ra === 2 && rb === 2
          ? cx.b.op('Gemm', [g, cx.x(1)], { transB: A.int(1) })
          : cx.b.op('MatMul', [g, transposeLast2(cx, cx.x(1), rb)]);
        const gShape: Dim[] = [...y.slice(0, -1), cx.inInfo(0).shape![ra - 1]!];
        out[0] = cx.unbroadcast(gA, gShape, cx.inInfo(0).shape!);
      }
      if (cx.needs(1)) {
        const gB = cx.b.op('MatMul', [transposeLast2(cx, cx.x(0), ra), g]);
        const gShape: Dim[] = [...y.slice(0, -2), cx.inInfo(1).shape![rb - 2]!, y[y.length - 1]!];
        out[1] = cx.unbroadcast(gB, gShape, cx.inInfo(1).shape!);
      }
      return out;
    },
  },
};
