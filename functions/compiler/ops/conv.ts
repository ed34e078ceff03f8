/**
 * Convolution. For y = conv(x, W) + b, the input gradient is the transposed convolution of g with the same
 * weights (the adjoint of the linear map x -> conv(x, W)):
 *   dx = ConvTranspose(g, W, strides, dilations, group, pads, output_padding)
 * where output_padding recovers the input size lost to striding (ONNX spec, ConvTranspose output shape).
 * auto_pad SAME_UPPER/SAME_LOWER is written out as the explicit pads the spec prescribes: onnxruntime refuses
 * SAME with dilations > 1, and the backward pass uses the same explicit pads.
 */
import { RuleError } from '../errors.js';
import { allKnown, fmt } from '../shapes.js';
import { A, attr, shapeOfInfo, withoutAttrs } from './util.js';
import { outputPadding, resolveWindow } from './window.js';
import type { RuleTable } from './types.js';

export const convRules: RuleTable = {
  Conv: {
    legalize: (n, cx) => {
      const autoPad = attr.string(n, 'auto_pad', 'NOTSET');
      if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') return [n];
      const x = cx.shape(n.inputs[0]!);
      const w = cx.shape(n.inputs[1]!);
      if (!x || !w) throw new RuleError(`auto_pad=${autoPad} needs the shapes of the input and the weights (unknown)`);
      const kernel = attr.ints(n, 'kernel_shape') ?? allKnown(w.slice(2), 'weight');
      const win = resolveWindow(n, x.slice(2), kernel);
      return [{ ...n, attrs: { ...withoutAttrs(n, 'auto_pad').attrs, pads: A.ints(win.pads) } }];
    },
    infer: (n, cx) => {
      const x = shapeOfInfo(cx.required(0));
      const w = shapeOfInfo(cx.required(1), 'weights');
      if (x.length < 3) throw new RuleError(`Conv needs an input of rank >= 3 (N, C, spatial...), got ${fmt(x)}`);
      if (w.length !== x.length) throw new RuleError(`the weights ${fmt(w)} do not have the rank of the input ${fmt(x)}`);
      const weightKernel = allKnown(w.slice(2), 'weight');
      const kernel = attr.ints(n, 'kernel_shape') ?? weightKernel;
      if (kernel.join() !== weightKernel.join()) throw new RuleError(`kernel_shape [${kernel.join(', ')}] differs from the weights' [${weightKernel.join(', ')}]`);
      // ONNX spec, Conv: W is [M, C/group, k...]; M and C are multiples of group
      const group = attr.int(n, 'group', 1);
      const [m, perGroup, channels] = [w[0], w[1], x[1]];
      if (!Number.isSafeInteger(group) || group < 1) throw new RuleError(`group=${group} must be an integer >= 1`);
      if (typeof m === 'number' && m % group !== 0) throw new RuleError(`the ${m} output channels are not a multiple of group=${group}`);
      if (typeof channels === 'number' && typeof perGroup === 'number' && channels !== perGroup * group) {
        throw new RuleError(`the input has ${channels} channels; the weights take ${perGroup} per group x group=${group}`);
      }
      const win = resolveWindow(n, x.slice(2), kernel);
      return [{ dtype: 'float32', shape: [x[0]!, w[0]!, ...win.out] }];
    },
    vjp: (n, cx) => {
      const g = cx.gy(0)!;
      if (cx.needs(1)) throw new RuleError('convolution weights that depend on the input are not supported');
      const out: (string | undefined)[] = [];
      if (cx.needs(0)) {
        const x = shapeOfInfo(cx.inInfo(0));
        const w = allKnown(shapeOfInfo(cx.inInfo(1), 'weights'), 'weight');
        const spatial = allKnown(x.slice(2), 'input spatial');
        const win = resolveWindow(n, spatial, w.slice(2));
        out[0] = cx.b.op('ConvTranspose', [g, cx.x(1)], {
          strides: A.ints(win.strides),
          dilations: A.ints(win.dilations),
          pads: A.ints(win.pads),
          group: A.int(attr.int(n, 'group', 1)),
          kernel_shape: A.ints(w.slice(2)),
          output_padding: A.ints(outputPadding(win, spatial)),
        });
      }
      // db = sum of g over batch and spatial axes (only if the bias depends on the input)
      if (n.inputs[2] && cx.needs(2)) {
        const rank = cx.outInfo(0).shape!.length;
        out[2] = cx.b.op('ReduceSum', [g, cx.i64([0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)])], { keepdims: A.int(0) });
      }
      return out;
    },
  },
};
