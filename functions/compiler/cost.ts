/**
 * A rough count of the floating-point operations of one forward pass per sample, from the inferred shapes:
 * 2 per multiply-add in Gemm/MatMul/Conv, one per output element elsewhere. The backward pass costs about twice
 * the forward (Griewank & Walther, "Evaluating Derivatives"), so a gradient step is about 3x this. The API uses it
 * to keep every request inside a CPU budget.
 */
import type { OnnxNode } from '../onnx/model.js';
import type { WorkGraph } from './graph.js';

function elements(shape: readonly (number | string | null)[] | null | undefined): number {
  if (!shape) return 1;
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : 1;
  return n;
}

function nodeFlops(w: WorkGraph, n: OnnxNode): number {
  const out = w.info.get(n.outputs[0] ?? '')?.shape;
  const outElems = elements(out);
  const inShape = (i: number) => w.info.get(n.inputs[i] ?? '')?.shape;
  switch (n.opType) {
    case 'Gemm':
    case 'MatMul': {
      const a = inShape(0);
      const k = a ? (n.opType === 'Gemm' && n.attrs.transA?.value === 1 ? a[0] : a[a.length - 1]) : 1;
      return 2 * outElems * (typeof k === 'number' ? k : 1);
    }
    case 'Conv': {
      const wShape = inShape(1);
      const perOutput = wShape ? elements(wShape.slice(1)) : 1;
      return 2 * outElems * perOutput;
    }
    case 'Shape': case 'Constant': case 'ConstantOfShape': case 'Reshape': case 'Flatten': case 'Squeeze':
    case 'Unsqueeze': case 'Identity':
      return 0;
    default:
      return outElems;
  }
}

/** Forward FLOPs for one sample (the batch dimension, when fixed, is divided out). */
export function forwardFlops(w: WorkGraph): number {
  const batch = w.input.shape?.[0];
  const perBatch = typeof batch === 'number' && batch > 0 ? batch : 1;
  let total = 0;
  for (const n of w.nodes) total += nodeFlops(w, n);
  return total / perBatch;
}
