/**
 * Input normalization inside the graph. Many models expect normalized input, x_model = (pixel - mean) / std (per
 * channel). Prepending those two ops to the graph lets the search run in pixel space, so constraints, regularizers
 * and result images stay meaningful: the new graph's input is the pixel image, under the original input's name.
 */
import { tensor } from '../onnx/tensor.js';
import type { OnnxModel } from '../onnx/model.js';
import { ModelError } from './errors.js';

export interface Normalization {
  /** one value, or one per channel */
  mean: number[];
  std: number[];
  /** axis of the channels in the input tensor (with the batch axis), for per-channel values */
  channelAxis: number;
  /** rank of the input tensor */
  rank: number;
}

/** Suffixes of the names of the two nodes withNormalization prepends (they are not part of the model proper). */
export const NORMALIZATION_NODES = ['__subtract_mean', '__divide_std'] as const;

export function withNormalization(model: OnnxModel, inputName: string, n: Normalization): OnnxModel {
  if (n.std.some((s) => s === 0 || !Number.isFinite(s))) throw new ModelError('std must be finite and non-zero');
  if (n.mean.length !== n.std.length) throw new ModelError(`mean has ${n.mean.length} values and std ${n.std.length}; give one value or one per channel for both`);
  const g = model.graph;
  const internal = `${inputName}__normalized`;
  const rename = (t: string) => (t === inputName ? internal : t);
  const perChannel = n.mean.length > 1;
  // shaped to broadcast along the channel axis: [C, 1, ..., 1] for the axes after it
  const dims = perChannel ? [n.mean.length, ...Array<number>(n.rank - 1 - n.channelAxis).fill(1)] : [];
  const meanName = `${inputName}__mean`;
  const invStdName = `${inputName}__inv_std`;
  const centered = `${inputName}__centered`;
  const initializers = new Map(g.initializers);
  initializers.set(meanName, tensor('float32', dims, n.mean));
  initializers.set(invStdName, tensor('float32', dims, n.std.map((s) => 1 / s)));
  return {
    ...model,
    graph: {
      ...g,
      initializers,
      nodes: [
        { name: `${inputName}${NORMALIZATION_NODES[0]}`, opType: 'Sub', domain: '', inputs: [inputName, meanName], outputs: [centered], attrs: {} },
        { name: `${inputName}${NORMALIZATION_NODES[1]}`, opType: 'Mul', domain: '', inputs: [centered, invStdName], outputs: [internal], attrs: {} },
        ...g.nodes.map((node) => ({ ...node, inputs: node.inputs.map(rename) })),
      ],
      outputs: g.outputs.map((o) => (o.name === inputName ? { ...o, name: internal } : o)),
    },
  };
}
