/**
 * Ops that move or select values without changing them: their gradient moves g back (Reshape, Transpose,
 * Concat -> Slice, Slice -> Pad, Pad -> Slice). Also the shape arithmetic exporters emit around Reshape
 * (Shape, Gather, Concat, Unsqueeze on int64 tensors): it carries no gradient, but it is evaluated here,
 * symbolically, so the shapes after a run-time Reshape are known when the model is compiled.
 */
import { RuleError } from '../errors.js';
import { axis as normAxis, broadcast, fmt, quotient, type Dim } from '../shapes.js';
import { toNumbers, tensor, int64s } from '../../onnx/tensor.js';
import { A, attr, rankOf, shapeOfInfo, withoutAttrs } from './util.js';
import type { OnnxNode } from '../../onnx/model.js';
import type { InferContext, OpRule, RuleTable, TensorInfo, VjpContext } from './types.js';

/** The values of a small integer tensor, when known (possibly symbolic dims). */
export function intValues(t: TensorInfo | undefined): Dim[] | undefined {
  if (!t) return undefined;
  if (t.dims) return t.dims;
  if (t.value && !t.value.dtype.startsWith('float')) return toNumbers(t.value);
  return undefined;
}

function constInts(cx: InferContext, i: number, what: string): number[] | undefined {
  const t = cx.input(i);
  if (!t) return undefined;
  const v = intValues(t);
  if (!v || v.some((d) => typeof d !== 'number')) throw new RuleError(`the ${what} input must be a constant`);
  return v as number[];
}

function product(dims: readonly Dim[]): Dim {
  return quotient(dims, []);
}

/** The values of integer operand i of a node being differentiated: a constant, or computed from shapes. */
function operandInts(cx: VjpContext, i: number, what: string): number[] {
  const v = intValues(cx.inInfo(i));
  if (!v || v.some((d) => typeof d !== 'number')) throw new RuleError(`the gradient needs the values of the ${what} input when the model is compiled`);
  return v as number[];
}

/** dx = reshape(g, shape(x)): for every op that only reinterprets the layout. */
function reshapeBack(_n: OnnxNode, cx: VjpContext): (string | undefined)[] {
  const g = cx.gy(0);
  return [g ? cx.reshapeLike(g, cx.x(0)) : undefined];
}

/** Legalizes an op whose `axes` moved from attribute to input at opset 13 (Squeeze, Unsqueeze, ReduceSum). */
export function axesToInput(since: number): OpRule['legalize'] {
  return (n, cx) => {
    if (cx.opset >= since) return [n];
    const axes = attr.ints(n, 'axes');
    const inputs = [n.inputs[0]!];
    if (axes) inputs.push(cx.b.constant(int64s(axes), `${n.opType}_axes`));
    return [{ ...withoutAttrs(n, 'axes'), inputs }];
  };
}

function sliceValues<T>(values: readonly T[], starts: number[], ends: number[], axes: number[], steps: number[]): T[] {
  // only used on 1-D dims tensors
  let out = [...values];
  for (let k = 0; k < axes.length; k++) {
    if (axes[k] !== 0) return [];
    const [s, e, st] = resolveSlice(starts[k]!, ends[k]!, steps[k] ?? 1, values.length);
    const picked: T[] = [];
    if (st > 0) for (let i = s; i < e; i += st) picked.push(out[i]!);
    else for (let i = s; i > e; i += st) picked.push(out[i]!);
    out = picked;
  }
  return out;
}

/** Clamps Slice's start/end for a dimension of size `dim` (ONNX spec, Slice). */
function resolveSlice(start: number, end: number, step: number, dim: number): [number, number, number] {
  if (step === 0) throw new RuleError('Slice step 0 is invalid');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  return [s, e, step];
}

export const shapeRules: RuleTable = {
  // Reshape(x, shape): 0 copies the input dim (unless allowzero), -1 is inferred.
  Reshape: {
    legalize: (n, cx) => {
      if (cx.opset >= 5) return [n];
      const shape = attr.ints(n, 'shape') ?? [];
      return [{ ...withoutAttrs(n, 'shape', 'consumed_inputs'), inputs: [n.inputs[0]!, cx.b.constant(int64s(shape), 'reshape_shape')] }];
    },
    infer: (n, cx) => {
      const x = cx.required(0);
      const s = cx.required(1);
      const target = intValues(s);
      const allowZero = attr.int(n, 'allowzero', 0) === 1;
      if (!target) {
        const len = s.shape?.[0];
        return [{ dtype: x.dtype, shape: typeof len === 'number' ? Array<Dim>(len).fill(null) : null }];
      }
      if (target.filter((d) => d === -1).length > 1) throw new RuleError('the target shape has more than one -1');
      if (target.some((d) => typeof d === 'number' && (d < -1 || !Number.isSafeInteger(d)))) throw new RuleError(`the target shape ${fmt(target)} has a negative dimension`);
      const dims: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x.shape?.[i] ?? null : d));
      const minus = dims.indexOf(-1);
      if (minus >= 0) {
        dims[minus] = x.shape ? quotient(x.shape, dims.filter((_, i) => i !== minus)) : null;
      }
      const before = x.shape ? product(x.shape) : null;
      const after = product(dims);
      if (typeof before === 'number' && typeof after === 'number' && before !== after) {
        throw new RuleError(`cannot reshape ${fmt(x.shape)} (${before} elements) to ${fmt(dims)} (${after})`);
      }
      const out: TensorInfo = { dtype: x.dtype, shape: dims };
      if (x.dims && dims.length === 1) out.dims = x.dims;
      return [out];
    },
    vjp: reshapeBack,
  },

  // Flatten(x, axis): [prod(d[0:axis]), prod(d[axis:])]
  Flatten: {
    infer: (n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const a = attr.int(n, 'axis', 1);
      const k = a < 0 ? a + s.length : a;
      if (k < 0 || k > s.length) throw new RuleError(`axis ${a} is out of range for rank ${s.length}`);
      return [{ dtype: x.dtype, shape: [product(s.slice(0, k)), product(s.slice(k))] }];
    },
    vjp: reshapeBack,
  },

  // Transpose(x, perm): dx = transpose(g, inverse(perm))
  Transpose: {
    infer: (n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const perm = attr.ints(n, 'perm') ?? [...s.keys()].reverse();
      if (perm.length !== s.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
        throw new RuleError(`perm ${JSON.stringify(perm)} is not a permutation of the ${s.length} axes`);
      }
      return [{ dtype: x.dtype, shape: perm.map((p) => s[p] ?? null) }];
    },
    vjp: (n, cx) => {
      const g = cx.gy(0);
      if (!g) return [];
      const rank = rankOf(cx.inInfo(0));
      const perm = attr.ints(n, 'perm') ?? [...Array(rank).keys()].reverse();
      const inverse = new Array<number>(rank);
      perm.forEach((p, i) => { inverse[p] = i; });
      return [cx.b.op('Transpose', [g], { perm: A.ints(inverse) })];
    },
  },

  // Squeeze(x, axes?): drops size-1 axes
  Squeeze: {
    legalize: axesToInput(13),
    infer: (_n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const given = constInts(cx, 1, 'axes');
      const axes = given ? given.map((a) => normAxis(a, s.length)) : s.flatMap((d, i) => (d === 1 ? [i] : []));
      if (!given && s.some((d) => typeof d !== 'number')) throw new RuleError(`Squeeze without axes needs a fully known input shape, got ${fmt(s)}`);
      const wide = axes.find((a) => typeof s[a] === 'number' && s[a] !== 1);
      if (wide !== undefined) throw new RuleError(`axis ${wide} of ${fmt(s)} has size ${s[wide]}, not 1`);
      const out: TensorInfo = { dtype: x.dtype, shape: s.filter((_, i) => !axes.includes(i)) };
      if (x.dims) out.dims = x.dims;
      return [out];
    },
    vjp: reshapeBack,
  },

  // Unsqueeze(x, axes): inserts size-1 axes
  Unsqueeze: {
    legalize: axesToInput(13),
    infer: (_n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const given = constInts(cx, 1, 'axes');
      if (!given) throw new RuleError('Unsqueeze needs axes');
      const rank = s.length + given.length;
      const axes = given.map((a) => normAxis(a, rank));
      if (new Set(axes).size !== axes.length) throw new RuleError(`axes ${JSON.stringify(given)} repeat an axis`);
      const shape: Dim[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : s[k++] ?? null);
      const out: TensorInfo = { dtype: x.dtype, shape };
      const v = intValues(x);
      if (v && rank === 1) out.dims = v;
      return [out];
    },
    vjp: reshapeBack,
  },

  // Concat(x1..xn, axis): dx_i = slice of g along axis
  Concat: {
    infer: (n, cx) => {
      const ins = n.inputs.map((_, i) => cx.required(i));
      const first = shapeOfInfo(ins[0]!);
      const a = normAxis(attr.int(n, 'axis', 0), first.length);
      const along: Dim[] = [];
      for (const t of ins) along.push(shapeOfInfo(t)[a] ?? null);
      const total = along.every((d) => typeof d === 'number') ? (along as number[]).reduce((p, q) => p + q, 0) : null;
      const shape = first.map((d, i) => (i === a ? total : d));
      const out: TensorInfo = { dtype: ins[0]!.dtype, shape };
      if (first.length === 1) {
        const vals = ins.map(intValues);
        if (vals.every((v) => v !== undefined)) {
          out.dims = vals.flat() as Dim[];
          out.shape = [out.dims.length];
        }
      }
      return [out];
    },
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const rank = rankOf(cx.inInfo(0));
      const a = normAxis(attr.int(n, 'axis', 0), rank);
      let offset = 0;
      return n.inputs.map((_, i) => {
        const size = cx.inInfo(i).shape![a];
        if (typeof size !== 'number') throw new RuleError(`input ${i} has an unknown size along the concatenation axis`);
        const start = offset;
        offset += size;
        if (!cx.needs(i)) return undefined;
        return cx.b.op('Slice', [g, cx.i64([start]), cx.i64([start + size]), cx.i64([a])]);
      });
    },
  },

  // Slice(x, starts, ends, axes?, steps?): dx = g padded back with zeros (unit steps)
  Slice: {
    legalize: (n, cx) => {
      if (cx.opset >= 10) return [n];
      const starts = attr.ints(n, 'starts') ?? [];
      const ends = attr.ints(n, 'ends') ?? [];
      const axes = attr.ints(n, 'axes');
      const inputs = [n.inputs[0]!, cx.b.constant(int64s(starts), 'starts'), cx.b.constant(int64s(ends), 'ends')];
      if (axes) inputs.push(cx.b.constant(int64s(axes), 'axes'));
      return [{ ...withoutAttrs(n, 'starts', 'ends', 'axes'), inputs }];
    },
    infer: (_n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const starts = constInts(cx, 1, 'starts')!;
      const ends = constInts(cx, 2, 'ends')!;
      const axes = (constInts(cx, 3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(a, s.length));
      const steps = constInts(cx, 4, 'steps') ?? starts.map(() => 1);
      const shape = [...s];
      axes.forEach((a, k) => {
        const d = s[a];
        if (typeof d === 'number') {
          const [b, e, st] = resolveSlice(starts[k]!, ends[k]!, steps[k]!, d);
          shape[a] = Math.max(0, Math.ceil((e - b) / st));
        } else {
          shape[a] = starts[k] === 0 && ends[k]! >= 2 ** 31 - 1 && steps[k] === 1 ? d ?? null : null;
        }
      });
      const out: TensorInfo = { dtype: x.dtype, shape };
      const v = intValues(x);
      if (v && s.length === 1) {
        out.dims = sliceValues(v, starts, ends, axes, steps);
        out.shape = [out.dims.length];
      }
      return [out];
    },
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const s = shapeOfInfo(cx.inInfo(0));
      const rank = s.length;
      const starts = operandInts(cx, 1, 'starts');
      const ends = operandInts(cx, 2, 'ends');
      const axesV = n.inputs[3] ? operandInts(cx, 3, 'axes') : starts.map((_, i) => i);
      const steps = n.inputs[4] ? operandInts(cx, 4, 'steps') : starts.map(() => 1);
      const pads = new Array<number>(2 * rank).fill(0);
      axesV.forEach((a0, k) => {
        const a = normAxis(a0, rank);
        if (steps[k] !== 1) throw new RuleError(`the gradient of a Slice with step ${steps[k]} is not supported`);
        const d = s[a];
        if (typeof d !== 'number') throw new RuleError(`the gradient of a Slice needs the size of axis ${a} (unknown)`);
        const [b, e] = resolveSlice(starts[k]!, ends[k]!, 1, d);
        pads[a] = b;
        pads[a + rank] = d - Math.max(e, b);
      });
      return [cx.b.op('Pad', [g, cx.i64(pads)], { mode: A.string('constant') })];
    },
  },

  // Pad(x, pads, value) in constant mode: dx = the slice of g where x sits
  Pad: {
    legalize: (n, cx) => {
      if (cx.opset >= 11) return [n];
      const pads = attr.ints(n, 'pads') ?? attr.ints(n, 'paddings') ?? [];
      const value = attr.float(n, 'value', 0);
      return [{
        ...withoutAttrs(n, 'pads', 'paddings', 'value'),
        inputs: [n.inputs[0]!, cx.b.constant(int64s(pads), 'pads'), cx.b.constant(tensor('float32', [], [value]), 'pad_value')],
      }];
    },
    infer: (n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      const pads = constInts(cx, 1, 'pads');
      if (!pads) throw new RuleError('Pad needs pads');
      if (n.inputs[3]) throw new RuleError('Pad with an axes input (opset 18) is not supported');
      if (pads.length !== 2 * s.length) throw new RuleError(`pads has ${pads.length} values for rank ${s.length}`);
      const shape = s.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + s.length]! : pads[i] === 0 && pads[i + s.length] === 0 ? d : null));
      if (shape.some((d) => typeof d === 'number' && d < 0)) throw new RuleError(`pads [${pads.join(', ')}] crop ${fmt(s)} below nothing`);
      return [{ dtype: x.dtype, shape }];
    },
    vjp: (n, cx) => {
      const mode = attr.string(n, 'mode', 'constant');
      if (mode !== 'constant') throw new RuleError(`the gradient of Pad in ${mode} mode is not supported (only constant)`);
      if (cx.needs(2)) throw new RuleError('a pad value that depends on the input is not supported');
      const pads = operandInts(cx, 1, 'pads');
      const rank = pads.length / 2;
      if (pads.some((p) => p < 0)) throw new RuleError('the gradient of Pad with negative pads (cropping) is not supported');
      const y = shapeOfInfo(cx.outInfo(0));
      const starts = pads.slice(0, rank);
      const ends = y.map((d, i) => {
        if (typeof d !== 'number') return pads[i + rank] === 0 ? 2 ** 53 - 1 : -pads[i + rank]!;
        return d - pads[i + rank]!;
      });
      return [cx.b.op('Slice', [cx.gy(0)!, cx.i64(starts), cx.i64(ends), cx.i64([...Array(rank).keys()])])];
    },
  },

  // Expand(x, shape): broadcast; dx = g summed back to x's shape
  Expand: {
    infer: (_n, cx) => {
      const x = cx.required(0);
      const target = intValues(cx.required(1));
      const s = shapeOfInfo(x);
      if (!target) {
        const len = cx.required(1).shape?.[0];
        if (typeof len !== 'number') throw new RuleError('Expand needs a shape of known length');
        return [{ dtype: x.dtype, shape: broadcast(s, Array<Dim>(len).fill(null)).map((d, i, all) => d ?? s[s.length - all.length + i] ?? null) }];
      }
      if (target.some((d) => typeof d === 'number' && (d < 0 || !Number.isSafeInteger(d)))) throw new RuleError(`the target shape ${fmt(target)} has a negative dimension`);
      return [{ dtype: x.dtype, shape: broadcast(s, target) }];
    },
    vjp: (_n, cx) => [cx.unbroadcast(cx.gy(0)!, cx.outInfo(0).shape!, cx.inInfo(0).shape!)],
  },

  // Shape(x): the dims of x as int64 (start/end since opset 15)
  Shape: {
    infer: (n, cx) => {
      const s = shapeOfInfo(cx.required(0));
      const r = s.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = clamp(attr.int(n, 'start', 0));
      const end = clamp(attr.int(n, 'end', r));
      const dims = s.slice(start, Math.max(start, end));
      return [{ dtype: 'int64', shape: [dims.length], dims }];
    },
  },

  // Gather(data, indices, axis): used here for shape arithmetic (no gradient rule)
  Gather: {
    infer: (n, cx) => {
      const data = cx.required(0);
      const idx = cx.required(1);
      const s = shapeOfInfo(data);
      const is = shapeOfInfo(idx, 'indices');
      const a = normAxis(attr.int(n, 'axis', 0), s.length);
      const out: TensorInfo = { dtype: data.dtype, shape: [...s.slice(0, a), ...is, ...s.slice(a + 1)] };
      const v = intValues(data);
      const iv = intValues(idx);
      if (v && iv && s.length === 1) {
        out.dims = iv.map((i) => (typeof i === 'number' ? v[i < 0 ? i + v.length : i] ?? null : null));
      }
      return [out];
    },
  },

  // Constant: becomes an initializer (value, value_float(s), value_int(s); ONNX spec, Constant)
  Constant: {
    legalize: (n, cx) => {
      const a = n.attrs;
      const t = a.value?.type === 'tensor' ? a.value.value
        : a.value_float?.type === 'float' ? tensor('float32', [], [a.value_float.value])
          : a.value_floats?.type === 'floats' ? tensor('float32', [a.value_floats.value.length], a.value_floats.value)
            : a.value_int?.type === 'int' ? tensor('int64', [], [a.value_int.value])
              : a.value_ints?.type === 'ints' ? int64s(a.value_ints.value)
                : undefined;
      if (!t) throw new RuleError(`Constant with attribute ${Object.keys(a).join(', ') || '(none)'} is not supported`);
      cx.define(n.outputs[0]!, t);
      return [];
    },
    infer: () => {
      throw new RuleError('Constant nodes are folded into initializers before inference');
    },
  },

  // ConstantOfShape(shape): a filled tensor (no gradient)
  ConstantOfShape: {
    infer: (n, cx) => {
      const dims = intValues(cx.required(0));
      const v = attr.tensor(n, 'value');
      if (v && v.data.length !== 1) throw new RuleError(`the value attribute holds ${v.data.length} values; ConstantOfShape takes one`);
      if (dims?.some((d) => typeof d === 'number' && (d < 0 || !Number.isSafeInteger(d)))) throw new RuleError(`the shape ${fmt(dims)} has a negative dimension`);
      const len = cx.required(0).shape?.[0];
      return [{ dtype: v?.dtype ?? 'float32', shape: dims ?? (typeof len === 'number' ? Array<Dim>(len).fill(null) : null) }];
    },
  },
};
