/**
 * Pooling.
 *   MaxPool:     dx[i] = sum of g over the windows whose maximum is x[i]. MaxPool's own indices output says
 *                where each maximum came from; ScatterElements(reduction="add") sends g there (adding where
 *                windows overlap).
 *   AveragePool: dx = ConvTranspose(g / count, ones) per channel, count = the window's divisor at each output.
 *   GlobalAveragePool: dx = expand(g, shape(x)) / (H * W).
 * Windows are legalized to explicit pads in floor mode (see `explicitWindow`), so the backward pass and
 * onnxruntime see the same geometry.
 */
import { RuleError } from '../errors.js';
import { checkConstant } from '../limits.js';
import { allKnown, fmt, type Dim } from '../shapes.js';
import { floats, tensor } from '../../onnx/tensor.js';
import { A, attr, shapeOfInfo, withoutAttrs } from './util.js';
import { extent, outputPadding, resolveWindow, type Window } from './window.js';
import type { OnnxNode } from '../../onnx/model.js';
import type { InferContext, LegalizeContext, RuleTable, TensorInfo } from './types.js';

function inferPool(n: OnnxNode, cx: InferContext): TensorInfo[] {
  const x = shapeOfInfo(cx.required(0));
  if (x.length < 3) throw new RuleError(`pooling needs an input of rank >= 3, got ${fmt(x)}`);
  const kernel = attr.ints(n, 'kernel_shape');
  if (!kernel) throw new RuleError('kernel_shape is required');
  const win = resolveWindow(n, x.slice(2), kernel);
  // onnxruntime: "Pad should be smaller than kernel" (a window entirely in the padding has nothing to pool)
  if (win.pads.some((p, i) => p >= kernel[i % kernel.length]!)) throw new RuleError(`pads [${win.pads.join(', ')}] must be smaller than the kernel [${kernel.join(', ')}]`);
  const shape: Dim[] = [x[0]!, x[1]!, ...win.out];
  return n.outputs.map((_, i) => ({ dtype: i === 0 ? 'float32' : 'int64', shape }));
}

/**
 * For each output position, how many elements its window averages over (ONNX spec, AveragePool). The count is
 * a product over axes of the taps t in [0, k) with lo <= start + t*d < hi, counted in closed form per axis.
 */
function divisors(win: Window, spatial: number[], includePad: boolean): Float32Array {
  const k = spatial.length;
  const outSizes = win.out as number[];
  const total = outSizes.reduce((a, b) => a * b, 1);
  checkConstant(total, 'the table of window sizes of an AveragePool');
  const perAxis = outSizes.map((o, a) => {
    const lo = includePad ? -win.pads[a]! : 0;
    const hi = includePad ? spatial[a]! + win.pads[a + k]! : spatial[a]!;
    const d = win.dilations[a]!;
    return Array.from({ length: o }, (_, i) => {
      const start = i * win.strides[a]! - win.pads[a]!;
      const first = Math.max(0, Math.ceil((lo - start) / d));
      const last = Math.min(win.kernel[a]! - 1, Math.floor((hi - 1 - start) / d));
      return Math.max(0, last - first + 1);
    });
  });
  const counts = new Float32Array(total);
  const idx = new Array<number>(k).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let count = 1;
    for (let a = 0; a < k; a++) count *= perAxis[a]![idx[a]!]!;
    counts[flat] = count;
    for (let a = k - 1; a >= 0; a--) {
      idx[a] = idx[a]! + 1;
      if (idx[a]! < outSizes[a]!) break;
      idx[a] = 0;
    }
  }
  return counts;
}

/**
 * Rewrites auto_pad SAME_* as the explicit pads of the spec, and ceil_mode=1 as floor mode with the end pads
 * extended to the last window (which then covers the same windows):
 *   - onnxruntime pads SAME differently from the spec when the window is dilated, and rejects some SAME_LOWER;
 *   - in ceil mode ONNX shape inference keeps a last window that starts in the end padding, which onnxruntime
 *     (and PyTorch) drop; and the backward ConvTranspose cannot produce a window that overhangs the end pads.
 * The extra pads are ignored by MaxPool and by AveragePool with count_include_pad=0. With count_include_pad=1
 * they would be counted: the pooled result (sum / kernel size) is rescaled by kernel size / original count.
 * Kept as is when the sizes are unknown or a pad would reach the kernel size (onnxruntime requires pads below it).
 */
function explicitWindow(n: OnnxNode, cx: LegalizeContext): OnnxNode[] {
  const autoPad = attr.string(n, 'auto_pad', 'NOTSET');
  const ceil = attr.int(n, 'ceil_mode', 0) === 1;
  const kernel = attr.ints(n, 'kernel_shape');
  const x = cx.shape(n.inputs[0]!);
  if ((autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER' && !ceil) || !kernel || !x) return [n];
  const spatial = x.slice(2);
  if (!spatial.every((d): d is number => typeof d === 'number')) return [n];
  const win = resolveWindow(n, spatial, kernel);
  const k = kernel.length;
  const pads = [...win.pads];
  for (let i = 0; i < k; i++) {
    const reach = ((win.out[i] as number) - 1) * win.strides[i]! + extent(kernel[i]!, win.dilations[i]!) - spatial[i]! - win.pads[i]!;
    pads[i + k] = Math.max(win.pads[i + k]!, reach);
  }
  if (pads.some((p, i) => p >= kernel[i % k]!)) return [n];
  const node: OnnxNode = { ...n, attrs: { ...withoutAttrs(n, 'auto_pad', 'ceil_mode').attrs, pads: A.ints(pads) } };
  const extended = pads.some((p, i) => p !== win.pads[i]);
  if (!extended || n.opType !== 'AveragePool' || attr.int(n, 'count_include_pad', 0) !== 1) return [node];
  const size = kernel.reduce((a, b) => a * b, 1);
  const rescale = divisors(win, spatial, true).map((c) => size / c);
  const full = cx.b.fresh(`${n.name}_full_windows`);
  return [
    { ...node, outputs: [full] },
    {
      name: cx.b.fresh(`${n.name}_rescale`), opType: 'Mul', domain: '', attrs: {}, outputs: [n.outputs[0]!],
      inputs: [full, cx.b.constant(tensor('float32', [1, 1, ...(win.out as number[])], rescale), 'avgpool_rescale')],
    },
  ];
}

export const poolRules: RuleTable = {
  MaxPool: {
    // Always ask MaxPool for its indices: the backward pass routes g through them. (Rebuilding the argmax from
    // x == y instead needs broadcasting comparisons that onnxruntime runs an order of magnitude slower.)
    legalize: (n, cx) => {
      if (n.outputs.length >= 2 && n.outputs[1]) return explicitWindow(n, cx);
      return explicitWindow({ ...n, outputs: [n.outputs[0]!, cx.b.fresh(`${n.name}_indices`)] }, cx);
    },
    infer: inferPool,
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      if (attr.int(n, 'storage_order', 0) !== 0) throw new RuleError('storage_order=1 (column-major indices) is not supported');
      const kernel = attr.ints(n, 'kernel_shape')!;
      const strides = attr.ints(n, 'strides') ?? kernel.map(() => 1);
      const dilations = attr.ints(n, 'dilations') ?? kernel.map(() => 1);
      if (kernel.every((k, i) => strides[i]! >= k && dilations[i] === 1)) {
        // disjoint windows: every input element is the maximum of at most one window, so scattering g back by
        // assignment (MaxUnpool, one node) equals the sum
        return [cx.b.op('MaxUnpool', [g, cx.y(1), cx.shapeOf(cx.x(0))], {
          kernel_shape: A.ints(kernel),
          strides: A.ints(strides),
          ...(n.attrs.pads ? { pads: n.attrs.pads } : {}),
        })];
      }
      const flat = cx.i64([-1]);
      const zeros = cx.b.op('Reshape', [cx.b.op('Sub', [cx.x(0), cx.x(0)]), flat]);
      const scattered = cx.b.op('ScatterElements', [zeros, cx.b.op('Reshape', [cx.y(1), flat]), cx.b.op('Reshape', [g, flat])], {
        axis: A.int(0),
        reduction: A.string('add'),
      });
      return [cx.reshapeLike(scattered, cx.x(0))];
    },
  },

  AveragePool: {
    // dilations came with AveragePool-19; the opset 17 op has none (all ones is the same pool)
    legalize: (n, cx) => {
      if (attr.ints(n, 'dilations')?.some((d) => d !== 1)) throw new RuleError('AveragePool with dilations > 1 (opset 19) is not supported');
      return explicitWindow(withoutAttrs(n, 'dilations'), cx);
    },
    infer: inferPool,
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      const x = shapeOfInfo(cx.inInfo(0));
      const channels = x[1];
      if (typeof channels !== 'number') throw new RuleError('the gradient of AveragePool needs the channel count (unknown)');
      const spatial = allKnown(x.slice(2), 'input spatial');
      const kernel = attr.ints(n, 'kernel_shape')!;
      const win = resolveWindow(n, spatial, kernel);
      const counts = divisors(win, spatial, attr.int(n, 'count_include_pad', 0) === 1);
      const inv = counts.map((c) => 1 / c);
      const scaled = cx.b.op('Mul', [g, cx.b.constant(tensor('float32', [1, 1, ...(win.out as number[])], inv), 'avgpool_inv_count')]);
      const taps = channels * kernel.reduce((a, b) => a * b, 1);
      checkConstant(taps, 'the backward kernel of an AveragePool');
      const ones = floats([channels, 1, ...kernel], new Float32Array(taps).fill(1));
      return [cx.b.op('ConvTranspose', [scaled, cx.b.constant(ones, 'avgpool_ones')], {
        strides: A.ints(win.strides),
        dilations: A.ints(win.dilations),
        pads: A.ints(win.pads),
        group: A.int(channels),
        kernel_shape: A.ints(kernel),
        output_padding: A.ints(outputPadding(win, spatial)),
      })];
    },
  },

  GlobalAveragePool: {
    infer: (_n, cx) => {
      const x = shapeOfInfo(cx.required(0));
      return [{ dtype: 'float32', shape: [x[0]!, x[1]!, ...x.slice(2).map(() => 1)] }];
    },
    vjp: (_n, cx) => {
      const x = shapeOfInfo(cx.inInfo(0));
      const area = allKnown(x.slice(2), 'input spatial').reduce((a, b) => a * b, 1);
      const spread = cx.b.op('Expand', [cx.gy(0)!, cx.shapeOf(cx.x(0))]);
      return [cx.b.op('Mul', [spread, cx.f32(1 / area)])];
    },
  },
};
