/**
 * What the compiler says when it cannot differentiate a model. Each problem names the node, its op type and the
 * reason (an unsupported op, attribute value or shape), so the model's author knows what to change.
 */

export interface NodeProblem {
  node: string;
  opType: string;
  reason: string;
}

export class CompileError extends Error {
  override name = 'CompileError';
  constructor(readonly problems: NodeProblem[]) {
    super(CompileError.describe(problems));
  }

  static describe(problems: NodeProblem[]): string {
    const unsupported = problems.filter((p) => p.reason.startsWith('unsupported op'));
    if (unsupported.length === problems.length && problems.length > 0) {
      const byType = new Map<string, string[]>();
      for (const p of problems) byType.set(p.opType, [...(byType.get(p.opType) ?? []), p.node]);
      const list = [...byType].map(([t, nodes]) => `${t} (node${nodes.length > 1 ? 's' : ''} ${nodes.map((n) => `"${n}"`).join(', ')})`);
      return `the model uses ops the gradient compiler does not support: ${list.join('; ')}`;
    }
    return problems.map((p) => `node "${p.node}" (${p.opType}): ${p.reason}`).join('; ');
  }
}

/** Thrown by an op rule for a node it cannot handle; the driver adds the node's name and type. */
export class RuleError extends Error {
  override name = 'RuleError';
}

/** A model-level problem that is not tied to one node (no float input, several inputs, unknown target...). */
export class ModelError extends Error {
  override name = 'ModelError';
}
