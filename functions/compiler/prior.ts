/**
 * Composition with a learned image prior: one graph  z -> G(z) -> pixel range -> [normalization] -> classifier,
 * so that the usual compilation differentiates the classifier's objective with respect to the latent code z
 * (Nguyen et al. 2016, "Synthesizing the preferred inputs for neurons via deep generator networks").
 *
 *   x = min + (max - min) * (G(z) - gmin) / (gmax - gmin)      (G's output range onto the model's pixel range)
 *   x = Reshape(x, [-1, ...the model input's sample dims])     (single-channel layouts HW, 1HW, HW1 and flat)
 *
 * The generator's tensors and nodes are renamed under `prior/`; the new graph input is the generator's input
 * (z, [batch, latent], the batch dimension of the model's input); the model's input becomes an internal tensor.
 * Apply after withNormalization, so the normalization sits between the pixels and the classifier.
 * The generator's ops are read with the classifier's opset: the generators Ascent ships use MatMul, Add, Relu,
 * Sigmoid and Reshape, whose meaning is the same from opset 7 (the oldest Ascent reads) to 23.
 */
import { GraphBuilder } from '../onnx/builder.js';
import { int64s, tensor } from '../onnx/tensor.js';
import type { OnnxModel, OnnxNode, ValueInfo } from '../onnx/model.js';
import { ModelError } from './errors.js';

export interface PriorComposition {
  /** the model's pixel range, which G's output range is mapped onto */
  min: number;
  max: number;
  /** G's output range */
  generatorMin: number;
  generatorMax: number;
  /** name of the composed graph's input (default "z") */
  latentName?: string;
}

/** The composed model, and the name of its latent input. */
export function withPrior(model: OnnxModel, inputName: string, generator: OnnxModel, c: PriorComposition): { model: OnnxModel; latent: string } {
  const g = model.graph;
  const input = g.inputs.find((v) => v.name === inputName);
  if (!input?.shape) throw new ModelError(`the model has no input "${inputName}" with a known shape`);
  const gen = generator.graph;
  if (gen.inputs.length !== 1 || gen.outputs.length !== 1) throw new ModelError('a prior needs one input (z) and one output (the image)');
  const [zInfo] = gen.inputs as [ValueInfo];
  const [imageInfo] = gen.outputs as [ValueInfo];
  const latent = zInfo.shape?.[1];
  const imageDims = imageInfo.shape?.slice(1);
  if (typeof latent !== 'number' || !imageDims?.every((d): d is number => typeof d === 'number')) {
    throw new ModelError('a prior needs a fixed latent size and a fixed image size');
  }
  const sampleDims = input.shape.slice(1);
  const pixels = imageDims.reduce((a, b) => a * b, 1);
  const [h, w] = imageDims.length === 2 ? imageDims as [number, number] : [0, 0];
  const fits = sampleDims.every((d) => typeof d === 'number')
    && [[h, w], [1, h, w], [h, w, 1], [pixels]].some((s) => s.length === sampleDims.length && s.every((d, i) => d === sampleDims[i]));
  if (!fits) {
    throw new ModelError(`the prior makes ${imageDims.join('x')} single-channel images; the model's input "${inputName}" takes [${sampleDims.join(', ')}] per sample`);
  }

  const taken = new Set<string>([...g.initializers.keys(), ...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name)]);
  for (const n of g.nodes) {
    taken.add(n.name);
    for (const t of [...n.inputs, ...n.outputs]) taken.add(t);
  }
  const b = new GraphBuilder(taken, 'prior/');
  const wanted = c.latentName ?? 'z';
  const zName = taken.has(wanted) ? b.fresh(zInfo.name) : b.reserve(wanted);
  const renamed = new Map<string, string>([[zInfo.name, zName]]);
  const nameOf = (t: string) => {
    if (t === '') return t;
    let n = renamed.get(t);
    if (!n) {
      n = b.fresh(t);
      renamed.set(t, n);
    }
    return n;
  };
  const initializers = new Map(g.initializers);
  for (const [k, v] of gen.initializers) initializers.set(nameOf(k), v);
  const nodes: OnnxNode[] = gen.nodes.map((n) => ({ ...n, name: b.fresh(n.name || n.opType), inputs: n.inputs.map(nameOf), outputs: n.outputs.map(nameOf) }));

  // G's output range onto the model's: x = a * G(z) + s
  let x = nameOf(imageInfo.name);
  const a = (c.max - c.min) / (c.generatorMax - c.generatorMin);
  const s = c.min - a * c.generatorMin;
  const step = (opType: string, value: number, hint: string) => {
    const k = b.fresh(`${hint}_value`);
    initializers.set(k, tensor('float32', [], [value]));
    const out = b.fresh(hint);
    nodes.push({ name: b.fresh(`${hint}_node`), opType, domain: '', inputs: [x, k], outputs: [out], attrs: {} });
    x = out;
  };
  if (a !== 1) step('Mul', a, 'scale');
  if (s !== 0) step('Add', s, 'shift');
  const shape = b.fresh('input_shape');
  initializers.set(shape, int64s([-1, ...(sampleDims as number[])]));
  nodes.push({ name: b.fresh('to_model_input'), opType: 'Reshape', domain: '', inputs: [x, shape], outputs: [inputName], attrs: {} });

  const composed: OnnxModel = {
    ...model,
    irVersion: Math.max(model.irVersion, generator.irVersion),
    graph: {
      ...g,
      initializers,
      nodes: [...nodes, ...g.nodes],
      inputs: g.inputs.map((v) => (v.name === inputName ? { name: zName, dtype: 'float32', shape: [input.shape![0]!, latent] } : v)),
      valueInfo: g.valueInfo.filter((v) => v.name !== inputName),
    },
  };
  return { model: composed, latent: zName };
}
