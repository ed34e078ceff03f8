/**
 * Questions about a model's intermediate tensors. `lastConvolution` finds Grad-CAM's default layer: the output of
 * the last Conv whose feature map has a spatial extent, taken after what follows it element-wise as part of the
 * same layer (bias Add, BatchNormalization, the activation), i.e. the layer output Keras and PyTorch users mean and
 * Selvaraju et al. (2017) use (VGG-16's rectified relu5_3).
 */
import { analyze, type CompileOptions } from './compile.js';
import type { OnnxModel, OnnxNode } from '../onnx/model.js';
import type { WorkGraph } from './graph.js';

/** Ops that continue a convolution layer element-wise (channel by channel at most). */
const SAME_LAYER = new Set(['Add', 'BatchNormalization', 'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Sigmoid', 'HardSigmoid', 'Tanh', 'Softplus', 'Clip', 'Identity', 'Dropout']);

function consumers(w: WorkGraph, tensor: string): OnnxNode[] {
  return w.nodes.filter((n) => n.inputs.includes(tensor));
}

/** The tensor name, or undefined when the model has no convolution with a spatial output. */
export function lastConvolution(source: OnnxModel | Uint8Array, options: Pick<CompileOptions, 'input' | 'output'> = {}): string | undefined {
  const { w } = analyze(source, options);
  for (let i = w.nodes.length - 1; i >= 0; i--) {
    const n = w.nodes[i]!;
    if (n.opType !== 'Conv') continue;
    let t = n.outputs[0]!;
    const shape = w.info.get(t)?.shape;
    if (!w.active.has(t) || !shape || shape.length !== 4) continue;
    const [h, wd] = shape.slice(2);
    if (typeof h !== 'number' || typeof wd !== 'number' || h * wd < 2) continue;
    for (;;) {
      const next = consumers(w, t);
      if (next.length !== 1 || !SAME_LAYER.has(next[0]!.opType)) break;
      const out = next[0]!.outputs[0]!;
      const s = w.info.get(out)?.shape;
      // a bias Add keeps the shape; anything that broadcasts the map to another shape ends the layer
      if (!s || s.length !== 4 || s.some((d, k) => d !== shape[k])) break;
      t = out;
    }
    return t;
  }
  return undefined;
}
