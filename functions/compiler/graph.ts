/**
 * The compiler's working graph: a model's nodes in topological order after legalization, the initializers, and
 * what is known about every tensor (dtype, symbolic shape, compile-time values).
 */
import type { OnnxModel, OnnxNode, ValueInfo } from '../onnx/model.js';
import type { Tensor } from '../onnx/tensor.js';
import type { TensorInfo } from './ops/types.js';

export interface WorkGraph {
  source: OnnxModel;
  /** the ai.onnx opset the model was written for */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, Tensor>;
  input: ValueInfo;
  output: ValueInfo;
  info: Map<string, TensorInfo>;
  /** tensors that depend on the differentiated input */
  active: Set<string>;
  /** tensor name -> the node producing it */
  producer: Map<string, OnnxNode>;
  /** nodes whose gradient passes through unchanged, because a later node applies the same mask (rewrite.ts) */
  passGradient: Set<OnnxNode>;
  /** bytes of the forward pass: the weights, and the tensors computed (in all, and per sample of the batch) */
  memory: ForwardMemory;
}

export interface ForwardMemory {
  weightBytes: number;
  fixedBytes: number;
  perRowBytes: number;
}

/** Orders nodes so that every node comes after the producers of its inputs (Kahn's algorithm). */
export function topologicalOrder(nodes: OnnxNode[], available: Set<string>): { order: OnnxNode[]; stuck: OnnxNode[] } {
  const known = new Set(available);
  const remaining = [...nodes];
  const order: OnnxNode[] = [];
  let progress = true;
  while (remaining.length > 0 && progress) {
    progress = false;
    for (let i = 0; i < remaining.length; i++) {
      const n = remaining[i]!;
      if (n.inputs.every((t) => t === '' || known.has(t))) {
        order.push(n);
        for (const o of n.outputs) if (o) known.add(o);
        remaining.splice(i, 1);
        i--;
        progress = true;
      }
    }
  }
  return { order, stuck: remaining };
}
