/**
 * What else than a class can be maximized (layer=NAME&unit=K): every float intermediate tensor that depends on the
 * input and has units along axis 1, [N, C] or [N, C, ...] (a unit of a feature map is its channel, maximized as
 * its mean), in graph order. And a probe program that says, for a batch of images, how strongly each of their
 * units responds, the largest |value| over the unit's elements: a unit that is 0 on every image is dead (a ReLU
 * that never opens), and maximizing it cannot move.
 */
import { A, encodeModel, type OnnxModel, type OnnxNode } from '../onnx/model.js';
import { TARGET_OPSET, analyze, prune, type CompileOptions } from './compile.js';
import type { WorkGraph } from './graph.js';
import { forwardFlops } from './cost.js';
import { NORMALIZATION_NODES } from './preprocess.js';
import type { Dim } from './shapes.js';

export interface TensorEntry {
  /** the tensor's name in the graph: what layer= takes */
  name: string;
  /** the op that computes it */
  op: string;
  /** its shape, the batch axis first */
  shape: Dim[];
  /** number of units (size of axis 1) */
  units: number;
}

/** The tensors of an analyzed model that a target may name (the same test as buildTarget's). */
export function targetTensors(w: WorkGraph): TensorEntry[] {
  const list: TensorEntry[] = [];
  for (const n of w.nodes) {
    if (NORMALIZATION_NODES.some((suffix) => n.name.endsWith(suffix))) continue;
    for (const name of n.outputs) {
      const info = w.info.get(name);
      const shape = info?.shape;
      if (!info || info.dtype !== 'float32' || !w.active.has(name) || !shape || shape.length < 2) continue;
      const units = shape[1];
      if (typeof units !== 'number') continue;
      list.push({ name, op: n.opType, shape, units });
    }
  }
  return list;
}

type ModelOptions = Pick<CompileOptions, 'input' | 'output'>;

export function listTensors(source: OnnxModel | Uint8Array, options: ModelOptions = {}): TensorEntry[] {
  return targetTensors(analyze(source, options).w);
}

export interface Probe {
  /** the probe graph: the model's input in, one [N, units] output per tensor */
  model: OnnxModel;
  input: { name: string; shape: Dim[] };
  tensors: TensorEntry[];
  /** output name per tensor, in the same order */
  outputs: string[];
  /** estimated FLOPs of one forward pass per sample (as ProgramMeta.forwardFlops) */
  forwardFlops: number;
}

/** response[n, c] = max over the unit's elements of |t[n, c, ...]|, for every target tensor t. */
export function compileProbe(source: OnnxModel | Uint8Array, options: ModelOptions = {}): Probe {
  const { w, b, model: analyzed } = analyze(source, options);
  const input = w.input;
  const tensors = targetTensors(w);
  const flops = forwardFlops(w);
  const outputs: string[] = [];
  for (const t of tensors) {
    const abs = b.op('Abs', [t.name], {}, `${t.name}_abs`);
    if (t.shape.length === 2) {
      outputs.push(abs);
      continue;
    }
    const axes = Array.from({ length: t.shape.length - 2 }, (_, i) => i + 2);
    outputs.push(b.op('ReduceMax', [abs], { axes: A.ints(axes), keepdims: A.int(0) }, `${t.name}_response`));
  }
  const all: OnnxNode[] = [...w.nodes, ...b.nodes];
  const initializers = new Map([...w.initializers, ...b.initializers]);
  const kept = prune(all, initializers, outputs);
  const model: OnnxModel = {
    irVersion: 8,
    opsets: new Map([['', TARGET_OPSET]]),
    producerName: 'ascent-probe',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: `${analyzed.graph.name}_probe`,
      ...kept,
      inputs: [input],
      outputs: outputs.map((name, i) => ({ name, dtype: 'float32', shape: [input.shape![0]!, tensors[i]!.units] })),
      valueInfo: [],
    },
  };
  return { model, input: { name: input.name, shape: input.shape! }, tensors, outputs, forwardFlops: flops };
}

export const encodeProbe = (p: Probe): Uint8Array => encodeModel(p.model);
