/**
 * A small helper to append nodes to an ONNX graph with unique names: used by the gradient compiler to emit the
 * backward pass and by the model exporters in models/ to write the networks we train.
 */
import type { Attr, OnnxNode } from './model.js';
import type { Tensor } from './tensor.js';

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers = new Map<string, Tensor>();
  private readonly taken: Set<string>;
  private counter = 0;

  /** `taken`: names already used in the graph being extended (tensor and node names). */
  constructor(taken: Iterable<string> = [], private readonly prefix = '') {
    this.taken = new Set(taken);
  }

  /** A tensor or node name not used before, derived from `hint`. */
  fresh(hint: string): string {
    const base = `${this.prefix}${hint}`.replace(/[^A-Za-z0-9_./:-]/g, '_');
    let name = base;
    while (this.taken.has(name)) name = `${base}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  /** Reserve a name chosen elsewhere (e.g. a graph output called "grad"). */
  reserve(name: string): string {
    if (this.taken.has(name)) throw new Error(`name ${name} is already used in the graph`);
    this.taken.add(name);
    return name;
  }

  /** Appends a node; returns its output names ('' inputs stand for omitted optional inputs). */
  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: number | string[] = 1, hint?: string): string[] {
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, (_, i) => this.fresh(`${hint ?? opType}${outputs > 1 ? `_out${i}` : ''}`))
      : outputs;
    if (typeof outputs !== 'number') for (const o of outputs) this.taken.add(o);
    this.nodes.push({ name: this.fresh(`${hint ?? opType}_node`), opType, domain: '', inputs, outputs: outs, attrs });
    return outs;
  }

  /** Appends a single-output node and returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, hint?: string): string {
    return this.node(opType, inputs, attrs, 1, hint)[0]!;
  }

  /** Adds a constant tensor as an initializer and returns its name. */
  constant(t: Tensor, hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.set(name, t);
    return name;
  }
}
