/**
 * A stand-in for the typical uploaded MNIST CNN: the network of PyTorch's MNIST example (Conv 32 3x3, ReLU,
 * Conv 64 3x3, ReLU, MaxPool 2, Flatten, Dense 128, ReLU, Dense 10), about 24 MFLOP per forward pass, with
 * seeded random weights (He initialization): the arithmetic is what the budget calibration measures, not what the
 * network recognizes. 1.2 M parameters, 4.8 MB of ONNX.
 */
import { A, encodeModel, type OnnxNode } from '../functions/onnx/model.js';
import { tensor } from '../functions/onnx/tensor.js';
import { rng } from '../functions/engine/prng.js';

export function twoConvNet(seed = 1): Uint8Array {
  const random = rng(seed);
  const he = (dims: number[], fanIn: number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const s = Math.sqrt(2 / fanIn);
    return tensor('float32', dims, Float32Array.from({ length: n }, () => s * random.normal()));
  };
  const zeros = (n: number) => tensor('float32', [n], new Float32Array(n));
  const node = (opType: string, inputs: string[], output: string, attrs: OnnxNode['attrs'] = {}): OnnxNode => ({ name: `${output}_node`, opType, domain: '', inputs, outputs: [output], attrs });
  return encodeModel({
    irVersion: 8,
    opsets: new Map([['', 13]]),
    producerName: 'ascent-bench',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: 'two_conv',
      nodes: [
        node('Conv', ['input', 'w1', 'b1'], 'c1', { kernel_shape: A.ints([3, 3]) }),
        node('Relu', ['c1'], 'r1'),
        node('Conv', ['r1', 'w2', 'b2'], 'c2', { kernel_shape: A.ints([3, 3]) }),
        node('Relu', ['c2'], 'r2'),
        node('MaxPool', ['r2'], 'p', { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) }),
        node('Flatten', ['p'], 'f', { axis: A.int(1) }),
        node('Gemm', ['f', 'w3', 'b3'], 'd1', { transB: A.int(1) }),
        node('Relu', ['d1'], 'r3'),
        node('Gemm', ['r3', 'w4', 'b4'], 'logits', { transB: A.int(1) }),
      ],
      initializers: new Map([
        ['w1', he([32, 1, 3, 3], 9)], ['b1', zeros(32)],
        ['w2', he([64, 32, 3, 3], 288)], ['b2', zeros(64)],
        ['w3', he([128, 9216], 9216)], ['b3', zeros(128)],
        ['w4', he([10, 128], 128)], ['b4', zeros(10)],
      ]),
      inputs: [{ name: 'input', dtype: 'float32', shape: ['N', 1, 28, 28] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['N', 10] }],
      valueInfo: [],
    },
  });
}
