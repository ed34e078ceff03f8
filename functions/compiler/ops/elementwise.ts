/**
 * Elementwise ops: arithmetic with NumPy broadcasting, activations, and ops that pass values through.
 * Notation: x input, y output, g = dL/dy; each rule gives dL/dx.
 */
import { RuleError } from '../errors.js';
import { broadcast } from '../shapes.js';
import { tensor, toNumbers } from '../../onnx/tensor.js';
import { A, attr, maskedBy, sameAs, shapeOfInfo, withoutAttrs } from './util.js';
import type { InferContext, OpRule, RuleTable, TensorInfo, VjpContext } from './types.js';
import type { Dim, OnnxNode } from '../../onnx/model.js';

/** Output of a broadcasting binary op, with integer values folded when both sides are known (shape math). */
function inferBinary(node: OnnxNode, cx: InferContext): TensorInfo[] {
  const a = cx.required(0);
  const b = cx.required(1);
  const shape = a.shape && b.shape ? broadcast(a.shape, b.shape) : null;
  const out: TensorInfo = { dtype: a.dtype, shape };
  const da = a.dims ?? (a.value && a.dtype.startsWith('int') ? toNumbers(a.value) : undefined);
  const db = b.dims ?? (b.value && b.dtype.startsWith('int') ? toNumbers(b.value) : undefined);
  if (da && db && shape && shape.length <= 1 && a.dtype.startsWith('int')) {
    const n = Math.max(da.length, db.length);
    const dims: Dim[] = [];
    for (let i = 0; i < n; i++) {
      const p = da.length === 1 ? da[0] : da[i];
      const q = db.length === 1 ? db[0] : db[i];
      if (typeof p !== 'number' || typeof q !== 'number') {
        dims.push(node.opType === 'Mul' && p === 1 ? q ?? null : node.opType === 'Mul' && q === 1 ? p ?? null : null);
        continue;
      }
      dims.push(node.opType === 'Add' ? p + q : node.opType === 'Sub' ? p - q : node.opType === 'Mul' ? p * q : Math.trunc(p / q));
    }
    out.dims = dims;
  }
  return [out];
}

const binary = (vjp: OpRule['vjp']): OpRule => ({
  legalize: (n, cx) => {
    if (cx.opset < 7) throw new RuleError('opsets below 7 (legacy broadcast attributes) are not supported; re-export with opset 7 or newer');
    return [n];
  },
  infer: inferBinary,
  vjp,
});

function grads(cx: VjpContext, ga: () => string, gb: () => string): (string | undefined)[] {
  const out = cx.outInfo(0).shape!;
  return [
    cx.needs(0) ? cx.unbroadcast(ga(), out, cx.inInfo(0).shape!) : undefined,
    cx.needs(1) ? cx.unbroadcast(gb(), out, cx.inInfo(1).shape!) : undefined,
  ];
}

/** y = f(x) elementwise, dx = g * f'(x) given by `derivative` (which may use x and y). */
const unary = (derivative: (cx: VjpContext, g: string, node: OnnxNode) => string, legalize?: OpRule['legalize']): OpRule => ({
  ...(legalize ? { legalize } : {}),
  infer: (_n, cx) => sameAs(cx),
  vjp: (node, cx) => {
    const g = cx.gy(0);
    return [g === undefined ? undefined : derivative(cx, g, node)];
  },
});

const dropLegacy = (...keys: string[]): OpRule['legalize'] => (n) => [withoutAttrs(n, 'consumed_inputs', ...keys)];

export const elementwiseRules: RuleTable = {
  // d(a+b) = (g, g); d(a-b) = (g, -g)
  Add: binary((_n, cx) => grads(cx, () => cx.gy(0)!, () => cx.gy(0)!)),
  Sub: binary((_n, cx) => grads(cx, () => cx.gy(0)!, () => cx.b.op('Neg', [cx.gy(0)!]))),
  // d(a*b) = (g*b, g*a)
  Mul: binary((_n, cx) => grads(cx, () => cx.b.op('Mul', [cx.gy(0)!, cx.x(1)]), () => cx.b.op('Mul', [cx.gy(0)!, cx.x(0)]))),
  // d(a/b) = (g/b, -g*y/b)
  Div: binary((_n, cx) => grads(
    cx,
    () => cx.b.op('Div', [cx.gy(0)!, cx.x(1)]),
    () => cx.b.op('Neg', [cx.b.op('Div', [cx.b.op('Mul', [cx.gy(0)!, cx.y(0)]), cx.x(1)])]),
  )),

  // Sum(x1..xn): every input receives g (unbroadcast)
  Sum: {
    infer: (n, cx) => {
      let shape: Dim[] | null = cx.required(0).shape;
      for (let i = 1; i < n.inputs.length; i++) {
        const s = cx.required(i).shape;
        shape = shape && s ? broadcast(shape, s) : null;
      }
      return [{ dtype: cx.required(0).dtype, shape }];
    },
    vjp: (n, cx) => n.inputs.map((_, i) => (cx.needs(i) && cx.gy(0) ? cx.unbroadcast(cx.gy(0)!, cx.outInfo(0).shape!, cx.inInfo(i).shape!) : undefined)),
  },

  // dx = g where x > 0, else 0. The mask is read from the output (y > 0 exactly where x > 0), so the forward
  // Conv/Gemm + Relu pair keeps a single consumer and onnxruntime can fuse it.
  Relu: unary((cx, g) => cx.b.op('Where', [cx.b.op('Greater', [cx.y(0), cx.f32(0)]), g, cx.f32(0)]), dropLegacy()),
  // dx = g where x > 0, g * alpha elsewhere
  LeakyRelu: unary((cx, g, n) => {
    const alpha = attr.float(n, 'alpha', 0.01);
    return cx.b.op('Where', [cx.b.op('Greater', [cx.x(0), cx.f32(0)]), g, cx.b.op('Mul', [g, cx.f32(alpha)])]);
  }, dropLegacy()),
  // y = x (x > 0), alpha (e^x - 1) otherwise; dx = g where x > 0, g * (y + alpha) elsewhere
  Elu: unary((cx, g, n) => {
    const alpha = attr.float(n, 'alpha', 1);
    const inner = cx.b.op('Mul', [g, cx.b.op('Add', [cx.y(0), cx.f32(alpha)])]);
    return cx.b.op('Where', [cx.b.op('Greater', [cx.x(0), cx.f32(0)]), g, inner]);
  }, dropLegacy()),
  // y = gamma * (x > 0 ? x : alpha (e^x - 1)); dx = g*gamma where x > 0, g * (y + gamma*alpha) elsewhere
  Selu: unary((cx, g, n) => {
    const alpha = attr.float(n, 'alpha', 1.67326319217681884765625);
    const gamma = attr.float(n, 'gamma', 1.05070102214813232421875);
    const pos = cx.b.op('Mul', [g, cx.f32(gamma)]);
    const neg = cx.b.op('Mul', [g, cx.b.op('Add', [cx.y(0), cx.f32(gamma * alpha)])]);
    return cx.b.op('Where', [cx.b.op('Greater', [cx.x(0), cx.f32(0)]), pos, neg]);
  }, dropLegacy()),
  // dx = g * y * (1 - y)
  Sigmoid: unary((cx, g) => cx.b.op('Mul', [g, cx.b.op('Mul', [cx.y(0), cx.b.op('Sub', [cx.f32(1), cx.y(0)])])]), dropLegacy()),
  // y = clip(alpha x + beta, 0, 1); dx = g * alpha where 0 < alpha x + beta < 1
  HardSigmoid: unary((cx, g, n) => {
    const alpha = attr.float(n, 'alpha', 0.2);
    const inside = cx.b.op('And', [cx.b.op('Greater', [cx.y(0), cx.f32(0)]), cx.b.op('Less', [cx.y(0), cx.f32(1)])]);
    return maskedBy(cx, cx.b.op('Mul', [g, cx.f32(alpha)]), inside);
  }, dropLegacy()),
  // dx = g * (1 - y^2)
  Tanh: unary((cx, g) => cx.b.op('Mul', [g, cx.b.op('Sub', [cx.f32(1), cx.b.op('Mul', [cx.y(0), cx.y(0)])])]), dropLegacy()),
  // dx = g * y
  Exp: unary((cx, g) => cx.b.op('Mul', [g, cx.y(0)]), dropLegacy()),
  // dx = g / x
  Log: unary((cx, g) => cx.b.op('Div', [g, cx.x(0)]), dropLegacy()),
  // dx = g / (2 y)
  Sqrt: unary((cx, g) => cx.b.op('Div', [g, cx.b.op('Mul', [cx.y(0), cx.f32(2)])]), dropLegacy()),
  // dx = -g
  Neg: unary((cx, g) => cx.b.op('Neg', [g]), dropLegacy()),
  // dx = g * sign(x)
  Abs: unary((cx, g) => cx.b.op('Mul', [g, cx.b.op('Sign', [cx.x(0)])]), dropLegacy()),
  // dx = -g * y^2
  Reciprocal: unary((cx, g) => cx.b.op('Neg', [cx.b.op('Mul', [g, cx.b.op('Mul', [cx.y(0), cx.y(0)])])]), dropLegacy()),
  // y = log(1 + e^x); dx = g * sigmoid(x)
  Softplus: unary((cx, g) => cx.b.op('Mul', [g, cx.b.op('Sigmoid', [cx.x(0)])])),
  // y = x / (1 + |x|); dx = g / (1 + |x|)^2
  Softsign: unary((cx, g) => {
    const d = cx.b.op('Add', [cx.f32(1), cx.b.op('Abs', [cx.x(0)])]);
    return cx.b.op('Div', [g, cx.b.op('Mul', [d, d])]);
  }),
  // dx = g (identity and inference-mode dropout)
  Identity: unary((_cx, g) => g),
  Dropout: {
    // Inference: Dropout is the identity (ONNX spec, Dropout: "If training_mode is false ... output = data").
    legalize: (n, cx) => {
      // training_mode (input 2 since opset 12) must be a constant false
      const training = n.inputs[2] ? cx.constant(n.inputs[2]) : undefined;
      if (n.inputs[2] && (!training || training.data.some((v) => Number(v) !== 0))) {
        throw new RuleError('Dropout in training mode (training_mode is true or not a constant); Ascent needs an inference-mode graph');
      }
      if (n.outputs.length > 1 && n.outputs[1]) {
        // the mask output: all ones in inference mode; keep it as a Dropout node would be wrong at opset 17 without inputs
        throw new RuleError('the Dropout mask output is used by the graph; Ascent needs an inference-mode graph');
      }
      return [{ ...n, opType: 'Identity', inputs: [n.inputs[0]!], outputs: [n.outputs[0]!], attrs: {} }];
    },
    infer: (_n, cx) => sameAs(cx),
  },
  // float-to-float casts pass the gradient; casts to integers end it (dtype decides activity)
  Cast: {
    legalize: (n) => {
      const to = n.attrs.to;
      if (to && to.type === 'string') throw new RuleError('Cast with a string "to" attribute (opset 1-5) is not supported');
      return [withoutAttrs(n, 'saturate')];
    },
    infer: (n, cx) => {
      const x = cx.required(0);
      const dtype = CAST_TYPES[attr.int(n, 'to', 1)] ?? 'undefined';
      return [{ dtype, shape: x.shape, ...(x.dims ? { dims: x.dims } : {}) }];
    },
    vjp: (_n, cx) => {
      if (cx.inInfo(0).dtype !== 'float32') throw new RuleError(`no gradient through a Cast from ${cx.inInfo(0).dtype}`);
      return [cx.gy(0)];
    },
  },
  // dx = g where min <= x <= max (inclusive, as tfjs clipByValue)
  Clip: {
    legalize: (n, cx) => {
      if (cx.opset >= 11) return [n];
      const lo = attr.float(n, 'min', -3.4028234663852886e38);
      const hi = attr.float(n, 'max', 3.4028234663852886e38);
      return [{ ...withoutAttrs(n, 'min', 'max', 'consumed_inputs'), inputs: [n.inputs[0]!, cx.b.constant(tensor('float32', [], [lo]), 'clip_min'), cx.b.constant(tensor('float32', [], [hi]), 'clip_max')] }];
    },
    infer: (_n, cx) => sameAs(cx),
    vjp: (n, cx) => {
      const g = cx.gy(0);
      if (!g) return [];
      if (cx.needs(1) || cx.needs(2)) throw new RuleError('Clip bounds that depend on the input are not supported');
      let cond: string | undefined;
      if (n.inputs[1]) cond = cx.b.op('GreaterOrEqual', [cx.x(0), cx.x(1)]);
      if (n.inputs[2]) {
        const upper = cx.b.op('LessOrEqual', [cx.x(0), cx.x(2)]);
        cond = cond ? cx.b.op('And', [cond, upper]) : upper;
      }
      return [cond ? maskedBy(cx, g, cond) : g];
    },
  },
  // y = x ^ p with a constant exponent: dx = g * p * x^(p-1)  (an integer p, allowed since Pow-12, cast to float)
  Pow: {
    infer: inferBinary,
    vjp: (_n, cx) => {
      if (cx.needs(1)) throw new RuleError('Pow with an exponent that depends on the input is not supported');
      const p = cx.inInfo(1).dtype === 'float32' ? cx.x(1) : cx.b.op('Cast', [cx.x(1)], { to: A.int(1) });
      const dydx = cx.b.op('Mul', [p, cx.b.op('Pow', [cx.x(0), cx.b.op('Sub', [p, cx.f32(1)])])]);
      return [cx.unbroadcast(cx.b.op('Mul', [cx.gy(0)!, dydx]), cx.outInfo(0).shape!, cx.inInfo(0).shape!)];
    },
  },
  // y = where(c, a, b): da = where(c, g, 0), db = where(c, 0, g)
  Where: {
    infer: (_n, cx) => {
      const [c, a, b] = [cx.required(0), cx.required(1), cx.required(2)];
      const shape = c.shape && a.shape && b.shape ? broadcast(broadcast(c.shape, a.shape), b.shape) : null;
      return [{ dtype: a.dtype, shape }];
    },
    vjp: (_n, cx) => {
      const g = cx.gy(0)!;
      const zero = cx.f32(0);
      const out = cx.outInfo(0).shape!;
      return [
        undefined,
        cx.needs(1) ? cx.unbroadcast(cx.b.op('Where', [cx.x(0), g, zero]), out, cx.inInfo(1).shape!) : undefined,
        cx.needs(2) ? cx.unbroadcast(cx.b.op('Where', [cx.x(0), zero, g]), out, cx.inInfo(2).shape!) : undefined,
      ];
    },
  },
  // comparisons and logic: no gradient, boolean outputs
  Greater: compare(), Less: compare(), Equal: compare(), GreaterOrEqual: compare(), LessOrEqual: compare(),
  And: compare(), Or: compare(), Not: { infer: (_n, cx) => [{ dtype: 'bool', shape: cx.required(0).shape }] },
  Sign: { infer: (_n, cx) => sameAs(cx) },
};

function compare(): OpRule {
  return {
    infer: (_n, cx) => {
      const a = shapeOfInfo(cx.required(0));
      const b = shapeOfInfo(cx.required(1));
      return [{ dtype: 'bool', shape: broadcast(a, b) }];
    },
  };
}

const CAST_TYPES: Record<number, TensorInfo['dtype']> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
