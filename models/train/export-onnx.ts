/**
 * Writes the trained tfjs models as standard ONNX (opset 13, IR version 8), the way a Keras user's model looks
 * after tf2onnx: one input `input` [N, 28, 28] float32 (pixels in [0, 1]), one output `probabilities` [N, 10],
 * and a `logits` tensor just before the final Softmax. The graphs are inference graphs: Dropout is left out and
 * BatchNormalization stays a BatchNormalization node with the moving statistics.
 *
 * Layout conversions: tfjs Conv2D kernels are HWIO and ONNX Conv wants OIHW; tfjs flattens NHWC feature maps while
 * the ONNX graph flattens NCHW, so the rows of the dense kernel after Flatten are permuted (no Transpose node).
 */
import type * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../functions/onnx/builder.js';
import { A, type OnnxModel } from '../../functions/onnx/model.js';
import { floats, int64s, type Tensor } from '../../functions/onnx/tensor.js';
import { CLASSES, HEIGHT, WIDTH } from './data.js';

export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'probabilities';
export const LOGITS_NAME = 'logits';
export const OPSET = 13;
export const IR_VERSION = 8;

/** The weights of a layer by short name ("kernel", "bias", "gamma", "moving_mean", ...). */
function weightsOf(layer: tf.layers.Layer): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const values = layer.getWeights();
  layer.weights.forEach((w, i) => {
    const short = w.originalName.split('/').pop() ?? w.originalName;
    const t = values[i]!;
    out.set(short, { shape: [...t.shape], values: t.dataSync() as Float32Array });
  });
  return out;
}

function weight(layer: tf.layers.Layer, name: string): { shape: number[]; values: Float32Array } {
  const w = weightsOf(layer).get(name);
  if (!w) throw new Error(`layer ${layer.name} has no weight "${name}"`);
  return w;
}

function expectLayers(model: tf.LayersModel, classNames: string[]): tf.layers.Layer[] {
  const actual = model.layers.map((l) => l.getClassName());
  if (actual.join() !== classNames.join()) {
    throw new Error(`unexpected layers [${actual.join(', ')}], expected [${classNames.join(', ')}]`);
  }
  return model.layers;
}

function activationOf(layer: tf.layers.Layer): string {
  return String((layer.getConfig() as { activation?: unknown }).activation ?? 'linear');
}

function start(): { b: GraphBuilder; input: string } {
  const b = new GraphBuilder();
  const input = b.reserve(INPUT_NAME);
  b.reserve(LOGITS_NAME);
  b.reserve(OUTPUT_NAME);
  return { b, input };
}

/** x @ kernel + bias as MatMul + Add (what tf2onnx emits for a Keras Dense layer). */
function dense(b: GraphBuilder, x: string, layer: tf.layers.Layer, out?: string, kernelRows?: (rows: Float32Array, cols: number) => Float32Array): string {
  const kernel = weight(layer, 'kernel');
  const bias = weight(layer, 'bias');
  const [rows, cols] = kernel.shape as [number, number];
  const values = kernelRows ? kernelRows(kernel.values, cols) : kernel.values;
  const k = b.constant(floats([rows, cols], values), `${layer.name}/kernel`);
  const c = b.constant(floats([cols], bias.values), `${layer.name}/bias`);
  const mm = b.op('MatMul', [x, k], {}, `${layer.name}/MatMul`);
  if (out) {
    b.node('Add', [mm, c], {}, [out], `${layer.name}/BiasAdd`);
    return out;
  }
  return b.op('Add', [mm, c], {}, `${layer.name}/BiasAdd`);
}

function finish(b: GraphBuilder, graphName: string, docName: string): OnnxModel {
  b.node('Softmax', [LOGITS_NAME], { axis: A.int(-1) }, [OUTPUT_NAME], 'softmax');
  return {
    irVersion: IR_VERSION,
    opsets: new Map([['', OPSET]]),
    producerName: 'ascent-models',
    producerVersion: '1',
    metadata: { model: docName },
    graph: {
      name: graphName,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: INPUT_NAME, dtype: 'float32', shape: ['N', HEIGHT, WIDTH] }],
      outputs: [{ name: OUTPUT_NAME, dtype: 'float32', shape: ['N', CLASSES] }],
      valueInfo: [{ name: LOGITS_NAME, dtype: 'float32', shape: ['N', CLASSES] }],
    },
  };
}

/** Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax). */
export function mlpToOnnx(model: tf.LayersModel, id: string): OnnxModel {
  const [, hidden, top] = expectLayers(model, ['Flatten', 'Dense', 'Dense']) as [tf.layers.Layer, tf.layers.Layer, tf.layers.Layer];
  if (activationOf(hidden) !== 'relu' || activationOf(top) !== 'softmax') throw new Error('unexpected activations in the MLP');
  const { b, input } = start();
  const flat = b.op('Flatten', [input], { axis: A.int(1) }, 'flatten');
  const h = b.op('Relu', [dense(b, flat, hidden)], {}, `${hidden.name}/Relu`);
  dense(b, h, top, LOGITS_NAME);
  return finish(b, id.replace(/-/g, '_'), id);
}

/** Rows of an NHWC-flattened dense kernel reordered for an NCHW flatten. */
function nhwcToNchwRows(height: number, width: number, channels: number) {
  return (kernel: Float32Array, cols: number): Float32Array => {
    const out = new Float32Array(kernel.length);
    for (let c = 0; c < channels; c++) {
      for (let h = 0; h < height; h++) {
        for (let w = 0; w < width; w++) {
          const from = ((h * width + w) * channels + c) * cols;
          const to = ((c * height + h) * width + w) * cols;
          out.set(kernel.subarray(from, from + cols), to);
        }
      }
    }
    return out;
  };
}

/** HWIO -> OIHW. */
function hwioToOihw(values: Float32Array, [kh, kw, ci, co]: [number, number, number, number]): Tensor {
  const out = new Float32Array(values.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + h) * kw + w] = values[((h * kw + w) * ci + i) * co + o]!;
      }
    }
  }
  return floats([co, ci, kh, kw], out);
}

function pairOf(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  throw new Error(`expected a number or a pair, got ${JSON.stringify(v)}`);
}

/**
 * Reshape -> Conv2D(relu) -> MaxPooling2D -> Dropout -> Flatten -> Dense(relu) -> BatchNormalization -> Dropout
 * -> Dense(softmax).
 */
export function cnnToOnnx(model: tf.LayersModel, id: string): OnnxModel {
  const layers = expectLayers(model, [
    'Reshape', 'Conv2D', 'MaxPooling2D', 'Dropout', 'Flatten', 'Dense', 'BatchNormalization', 'Dropout', 'Dense',
  ]);
  const conv = layers[1]!;
  const pool = layers[2]!;
  const hidden = layers[5]!;
  const bn = layers[6]!;
  const top = layers[8]!;
  const convConfig = conv.getConfig() as { padding?: string; strides?: unknown; dilationRate?: unknown; dataFormat?: string };
  const poolConfig = pool.getConfig() as { padding?: string; strides?: unknown; poolSize?: unknown };
  if (convConfig.padding !== 'valid' || pairOf(convConfig.dilationRate ?? 1).some((d) => d !== 1)
    || convConfig.dataFormat !== 'channelsLast' || activationOf(conv) !== 'relu') {
    throw new Error('the exporter handles a channels-last, valid-padded, undilated Conv2D with relu only');
  }
  if (poolConfig.padding !== 'valid') throw new Error('the exporter handles valid max pooling only');
  if (activationOf(hidden) !== 'relu' || activationOf(top) !== 'softmax') throw new Error('unexpected activations in the CNN');
  const bnConfig = bn.getConfig() as { epsilon?: number; momentum?: number; center?: boolean; scale?: boolean; axis?: unknown };
  if (bnConfig.center === false || bnConfig.scale === false) throw new Error('the exporter expects BatchNormalization with center and scale');
  const [, ph, pw, pc] = pool.outputShape as [null, number, number, number];

  const { b, input } = start();
  const axes = b.constant(int64s([1]), 'unsqueeze/axes');
  const nchw = b.op('Unsqueeze', [input, axes], {}, 'unsqueeze');
  const kernel = weight(conv, 'kernel');
  const bias = weight(conv, 'bias');
  const kshape = kernel.shape as [number, number, number, number];
  const w = b.constant(hwioToOihw(kernel.values, kshape), `${conv.name}/kernel`);
  const c = b.constant(floats([kshape[3]], bias.values), `${conv.name}/bias`);
  const convOut = b.op('Conv', [nchw, w, c], {
    kernel_shape: A.ints([kshape[0], kshape[1]]),
    strides: A.ints(pairOf(convConfig.strides ?? 1)),
    pads: A.ints([0, 0, 0, 0]),
    dilations: A.ints([1, 1]),
    group: A.int(1),
  }, `${conv.name}/Conv2D`);
  const convRelu = b.op('Relu', [convOut], {}, `${conv.name}/Relu`);
  const pooled = b.op('MaxPool', [convRelu], {
    kernel_shape: A.ints(pairOf(poolConfig.poolSize)),
    strides: A.ints(pairOf(poolConfig.strides ?? poolConfig.poolSize)),
    pads: A.ints([0, 0, 0, 0]),
  }, `${pool.name}/MaxPool`);
  const flat = b.op('Flatten', [pooled], { axis: A.int(1) }, 'flatten');
  const h = b.op('Relu', [dense(b, flat, hidden, undefined, nhwcToNchwRows(ph, pw, pc))], {}, `${hidden.name}/Relu`);
  const units = weight(bn, 'gamma').shape[0]!;
  const normed = b.op('BatchNormalization', [
    h,
    b.constant(floats([units], weight(bn, 'gamma').values), `${bn.name}/gamma`),
    b.constant(floats([units], weight(bn, 'beta').values), `${bn.name}/beta`),
    b.constant(floats([units], weight(bn, 'moving_mean').values), `${bn.name}/moving_mean`),
    b.constant(floats([units], weight(bn, 'moving_variance').values), `${bn.name}/moving_variance`),
  ], { epsilon: A.float(bnConfig.epsilon ?? 1e-3), momentum: A.float(bnConfig.momentum ?? 0.99) }, `${bn.name}/BatchNorm`);
  dense(b, normed, top, LOGITS_NAME);
  return finish(b, id.replace(/-/g, '_'), id);
}

/** Number of parameters: elements of all float initializers (weights, biases and batch-norm statistics). */
export function parameterCount(model: OnnxModel): number {
  let n = 0;
  for (const t of model.graph.initializers.values()) if (t.dtype === 'float32') n += t.data.length;
  return n;
}
