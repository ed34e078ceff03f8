/**
 * Sliding-window geometry shared by Conv, ConvTranspose and the pools (ONNX spec, Conv and MaxPool: "auto_pad",
 * "pads", output shape formulas).
 */
import { RuleError } from '../errors.js';
import { attr } from './util.js';
import type { Dim, OnnxNode } from '../../onnx/model.js';

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** explicit pads: [begin_0, ..., begin_k, end_0, ..., end_k] */
  pads: number[];
  /** output spatial sizes (null when the input size is unknown) */
  out: Dim[];
  ceil: boolean;
}

/** Effective kernel extent with dilation: (k - 1) * d + 1. */
export const extent = (k: number, d: number) => (k - 1) * d + 1;

/**
 * Resolves a node's window for the given input spatial sizes. `kernel` comes from the weights (Conv) or the
 * kernel_shape attribute (pools).
 */
export function resolveWindow(n: OnnxNode, spatial: Dim[], kernel: number[]): Window {
  const k = kernel.length;
  const strides = attr.ints(n, 'strides') ?? Array(k).fill(1);
  const dilations = attr.ints(n, 'dilations') ?? Array(k).fill(1);
  const autoPad = attr.string(n, 'auto_pad', 'NOTSET');
  const ceil = attr.int(n, 'ceil_mode', 0) === 1;
  if (k === 0 || k !== spatial.length) throw new RuleError(`the ${k}-D kernel does not match the input's ${spatial.length} spatial dimensions`);
  if (strides.length !== k || dilations.length !== k) throw new RuleError(`strides/dilations do not match the ${k}-D kernel`);
  // every divisor and loop bound below comes from these: refuse zero and negative values before using them
  positive(kernel, 'kernel_shape');
  positive(strides, 'strides');
  positive(dilations, 'dilations');
  let pads = attr.ints(n, 'pads') ?? Array(2 * k).fill(0);
  const out: Dim[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * k).fill(0);
    for (let i = 0; i < k; i++) {
      const size = spatial[i];
      if (typeof size !== 'number') throw new RuleError(`auto_pad=${autoPad} needs the input's spatial size (unknown)`);
      const o = Math.ceil(size / strides[i]!);
      const total = Math.max(0, (o - 1) * strides[i]! + extent(kernel[i]!, dilations[i]!) - size);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + k] = total - pads[i]!;
      out.push(o);
    }
    return { kernel, strides, dilations, pads, out, ceil };
  }
  if (autoPad === 'VALID') pads = Array(2 * k).fill(0);
  else if (autoPad !== 'NOTSET') throw new RuleError(`auto_pad=${autoPad} is not supported`);
  if (pads.length !== 2 * k) throw new RuleError(`pads has ${pads.length} values for a ${k}-D window`);
  if (pads.some((p) => !Number.isSafeInteger(p) || p < 0)) throw new RuleError(`pads [${pads.join(', ')}] must be integers >= 0`);
  for (let i = 0; i < k; i++) {
    const size = spatial[i];
    if (typeof size !== 'number') { out.push(null); continue; }
    const span = size + pads[i]! + pads[i + k]! - extent(kernel[i]!, dilations[i]!);
    if (span < 0) throw new RuleError(`the window (kernel ${kernel[i]}, dilation ${dilations[i]}) is larger than the padded input (${size} + pads ${pads[i]}, ${pads[i + k]})`);
    let o = (ceil ? Math.ceil(span / strides[i]!) : Math.floor(span / strides[i]!)) + 1;
    // ceil mode: the last window must start inside the input or the begin padding (as in PyTorch and ORT)
    if (ceil && (o - 1) * strides[i]! >= size + pads[i]!) o -= 1;
    if (o < 1) throw new RuleError(`the window (kernel ${kernel[i]}, stride ${strides[i]}) does not fit spatial size ${size}`);
    out.push(o);
  }
  return { kernel, strides, dilations, pads, out, ceil };
}

/** Window attributes are sizes: integers of at least 1 (a stride of 0 would divide by zero). */
function positive(values: number[], name: string): void {
  if (values.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new RuleError(`${name} [${values.join(', ')}] must be integers >= 1`);
}

/**
 * output_padding for a ConvTranspose that maps an output of size `o` back onto an input of size `size`:
 * size = s (o - 1) + extent - pad_begin - pad_end + output_padding (ONNX spec, ConvTranspose).
 */
export function outputPadding(w: Window, spatial: number[]): number[] {
  const k = w.kernel.length;
  return spatial.map((size, i) => {
    const o = w.out[i] as number;
    const p = size - (w.strides[i]! * (o - 1) + extent(w.kernel[i]!, w.dilations[i]!) - w.pads[i]! - w.pads[i + k]!);
    if (p < 0) throw new RuleError(`internal: negative output padding on axis ${i}`);
    return p;
  });
}
