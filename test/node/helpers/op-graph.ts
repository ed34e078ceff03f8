/**
 * One-op (or few-op) ONNX models for the gradient compiler's per-op tests, and running their compiled gradient
 * programs with onnxruntime-web.
 *
 * A test graph reads the float32 input "x" ([N, ...], the batch dimension declared symbolic unless asked
 * otherwise), computes "y" with the given nodes and constant initializers, and the model's output is
 * Flatten(y, axis=1), [N, K]: the compiler's "logit" target, so objective[n] = sum_k w[n, k] y[n, k] and the
 * program's `grad` is d(sum_n objective[n]) / dx.
 */
import { compileGradient, type GradientProgram } from '../../../functions/compiler/index.js';
import { A, encodeModel, type Attr, type OnnxModel, type OnnxNode } from '../../../functions/onnx/model.js';
import type { Tensor } from '../../../functions/onnx/tensor.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import type { OrtSession } from '../../../functions/engine/ort-types.js';

export interface OpGraph {
  /** nodes computing "y" from "x" and the initializers */
  nodes: OnnxNode[];
  /** the shape of x, batch first */
  inputShape: number[];
  /** constant operands (weights, shapes, axes...) by name */
  initializers?: Record<string, Tensor>;
  /** the model's ai.onnx opset (default 17) */
  opset?: number;
  /** declare the batch dimension as the number in inputShape instead of the symbol "N" */
  fixedBatch?: boolean;
}

let counter = 0;

/** A node of the default domain; its name defaults to "<op>_<k>". */
export function node(opType: string, inputs: string[], outputs: string[] | string = 'y', attrs: Record<string, Attr> = {}, name?: string): OnnxNode {
  return { name: name ?? `${opType.toLowerCase()}_${++counter}`, opType, domain: '', inputs, outputs: typeof outputs === 'string' ? [outputs] : outputs, attrs };
}

/** The test model: x -> nodes -> y -> Flatten(axis=1) -> "out". */
export function opModel(g: OpGraph): OnnxModel {
  const [batch, ...rest] = g.inputShape;
  return {
    irVersion: 8,
    opsets: new Map([['', g.opset ?? 17]]),
    producerName: 'ascent-op-tests',
    producerVersion: '1',
    metadata: {},
    graph: {
      name: 'op_test',
      nodes: [...g.nodes, node('Flatten', ['y'], 'out', { axis: A.int(1) }, 'flatten_output')],
      initializers: new Map(Object.entries(g.initializers ?? {})),
      inputs: [{ name: 'x', dtype: 'float32', shape: [g.fixedBatch ? batch! : 'N', ...rest] }],
      outputs: [{ name: 'out', dtype: 'float32', shape: null }],
      valueInfo: [],
    },
  };
}

export interface ProgramRun {
  /** the model's output "out", [N, K] row-major */
  output: Float32Array;
  /** d(sum of the objective)/dx, shaped like x */
  grad: Float32Array;
  objective: Float32Array;
}

/**
 * Runs a compiled program on input x and objective weights w ([rows, units], rows 1 or N). Sessions use the
 * "basic" graph optimizations: the higher levels add fusions and layout rewrites that do not change what is
 * computed and cost most of the session-creation time of these tiny graphs.
 */
export async function runProgram(p: GradientProgram, x: Float32Array, xShape: number[], w: Float32Array): Promise<ProgramRun> {
  const ort = await loadOrt();
  const session: OrtSession = await ort.InferenceSession.create(encodeModel(p.model), { logSeverityLevel: 3, graphOptimizationLevel: 'basic' });
  try {
    const result = await session.run({
      [p.input.name]: new ort.Tensor('float32', x, xShape),
      [p.weights]: new ort.Tensor('float32', w, [w.length / p.units, p.units]),
    });
    const get = (name: string) => {
      const t = result[name];
      if (!t) throw new Error(`the program did not return ${name}`);
      return t.data as Float32Array;
    };
    return { output: get(p.outputs.model), grad: get(p.outputs.grad), objective: get(p.outputs.objective) };
  } finally {
    await session.release();
  }
}

/** Compiles the test model (logit target). */
export function compileOpGraph(g: OpGraph): GradientProgram {
  return compileGradient(opModel(g));
}
