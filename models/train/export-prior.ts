/**
 * Writes a trained VAE decoder as ONNX (opset 13, IR 8): input `z` float32 [N, d], output `image` float32
 * [N, 28, 28] in [0, 1]. Dense layers become MatMul + Add (+ Relu, or Sigmoid on the last one), then one Reshape.
 */
import type * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../functions/onnx/builder.js';
import type { OnnxModel } from '../../functions/onnx/model.js';
import { floats, int64s } from '../../functions/onnx/tensor.js';
import { HEIGHT, WIDTH } from './data.js';
import { IR_VERSION, OPSET } from './export-onnx.js';

export const PRIOR_INPUT = 'z';
export const PRIOR_OUTPUT = 'image';

export function decoderToOnnx(decoder: tf.LayersModel, id: string, latent: number): OnnxModel {
  const b = new GraphBuilder();
  let x = b.reserve(PRIOR_INPUT);
  b.reserve(PRIOR_OUTPUT);
  const dense = decoder.layers.filter((l) => l.getClassName() === 'Dense');
  if (decoder.layers.length !== dense.length + 1 || decoder.layers.at(-1)!.getClassName() !== 'Reshape') {
    throw new Error(`the decoder should be Dense layers then a Reshape, it is [${decoder.layers.map((l) => l.getClassName()).join(', ')}]`);
  }
  for (const layer of dense) {
    const [kernel, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor];
    const k = b.constant(floats([...kernel.shape], kernel.dataSync() as Float32Array), `${layer.name}/kernel`);
    const c = b.constant(floats([...bias.shape], bias.dataSync() as Float32Array), `${layer.name}/bias`);
    const y = b.op('Add', [b.op('MatMul', [x, k], {}, `${layer.name}/MatMul`), c], {}, `${layer.name}/BiasAdd`);
    const activation = String((layer.getConfig() as { activation?: unknown }).activation);
    if (activation !== 'relu' && activation !== 'sigmoid') throw new Error(`unexpected activation ${activation} in ${layer.name}`);
    x = b.op(activation === 'relu' ? 'Relu' : 'Sigmoid', [y], {}, `${layer.name}/${activation}`);
  }
  b.node('Reshape', [x, b.constant(int64s([-1, HEIGHT, WIDTH]), 'image_shape')], {}, [PRIOR_OUTPUT], 'reshape');
  return {
    irVersion: IR_VERSION,
    opsets: new Map([['', OPSET]]),
    producerName: 'ascent-models',
    producerVersion: '1',
    metadata: { prior: id },
    graph: {
      name: `prior_${id}`,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: PRIOR_INPUT, dtype: 'float32', shape: ['N', latent] }],
      outputs: [{ name: PRIOR_OUTPUT, dtype: 'float32', shape: ['N', HEIGHT, WIDTH] }],
      valueInfo: [],
    },
  };
}
