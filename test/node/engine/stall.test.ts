/**
 * A run that cannot move says so. A small ReLU network that is entirely inactive at a black image (every hidden
 * unit's bias is negative): from there the gradient is exactly zero, the result is the start image, and the
 * engine reports the zero gradient and that the objective did not improve. Given an alternative start, it moves
 * there before the first step; from a start where the network is active, nothing is reported.
 */
import { describe, expect, it } from 'vitest';
import { compileGradient, encodeProgram, programMeta } from '../../../functions/compiler/index.js';
import { ascend, type AscentSpec } from '../../../functions/engine/ascent.js';
import { createRunner, runnerOutputs, type GradientRunner } from '../../../functions/engine/runner.js';
import { NO_REGULARIZATION } from '../../../functions/engine/regularizers.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { tensor } from '../../../functions/onnx/tensor.js';
import { node, opModel } from '../helpers/op-graph.js';

const SIZE = 16; // a 4x4 image, flattened
const HIDDEN = 8;

/** y = Relu(x W1 - 2) W2: at x = 0 every hidden unit is off; at x = 0.5 they are on (W1 >= 0.3, 16 pixels). */
async function runner(): Promise<GradientRunner> {
  const w1 = Array.from({ length: SIZE * HIDDEN }, (_, i) => 0.3 + ((i * 7) % 5) / 10);
  const w2 = Array.from({ length: HIDDEN * 3 }, (_, i) => ((i * 5) % 7) / 7 - 0.4);
  const model = opModel({
    inputShape: [1, SIZE],
    initializers: {
      w1: tensor('float32', [SIZE, HIDDEN], w1),
      b1: tensor('float32', [HIDDEN], Array(HIDDEN).fill(-2)),
      w2: tensor('float32', [HIDDEN, 3], w2),
    },
    nodes: [node('Gemm', ['x', 'w1', 'b1'], 'z'), node('Relu', ['z'], 'h'), node('MatMul', ['h', 'w2'], 'y')],
  });
  const program = compileGradient(model);
  const meta = programMeta(program);
  return createRunner(await loadOrt(), encodeProgram(program, runnerOutputs(meta)), meta);
}

function spec(starts: Float32Array, extra: Partial<AscentSpec> = {}): AscentSpec {
  const weights = Float32Array.of(0, 1, 0);
  return {
    layout: { height: 4, width: 4, channels: 1, channelsLast: false },
    grid: { min: 0, max: 1 },
    constraints: { min: 0, max: 1, eps: 0, norm: 'linf' },
    optimizer: 'adam', lr: 0.05, steps: 32, regularization: NO_REGULARIZATION,
    starts, batch: starts.length / SIZE, weights, traceClass: Array(starts.length / SIZE).fill(1), seed: 0, ...extra,
  };
}

describe('stall detection', () => {
  it('reports a zero gradient at the start and no improvement; the result is the start image', async () => {
    const r = await ascend(await runner(), spec(new Float32Array(SIZE)));
    expect(r.stall).toEqual([{ zeroGradientAtStart: true, zeroGradientFrom: 1, improved: false, start: 0 }]);
    expect(Array.from(r.levels)).toEqual(Array(SIZE).fill(0));
  });

  it('reports nothing from a start where the network is active', async () => {
    const r = await ascend(await runner(), spec(new Float32Array(SIZE).fill(0.5)));
    expect(r.stall).toEqual([{ zeroGradientAtStart: false, zeroGradientFrom: null, improved: true, start: 0 }]);
  });

  it('moves a stalled sample to its next alternative start before the first step, the others stay', async () => {
    const starts = new Float32Array(2 * SIZE);
    starts.fill(0.5, SIZE); // sample 0 black (stalled), sample 1 active
    const black = new Float32Array(2 * SIZE); // the first alternative is black as well: skipped
    const gray = new Float32Array(2 * SIZE).fill(0.6);
    const r = await ascend(await runner(), spec(starts, { alternatives: [black, gray] }));
    expect(r.stall.map((s) => s.start)).toEqual([2, 0]);
    expect(r.stall.every((s) => !s.zeroGradientAtStart && s.improved)).toBe(true);
    // the start the run reports is the one it used
    expect(r.starts[0]).toBeCloseTo(0.6, 2);
    expect(r.starts[SIZE]).toBeCloseTo(0.5, 2);
    expect(r.trace.objective[0]).toHaveLength(32);
  });

  it('says when the gradient became zero and stayed so', async () => {
    // minimizing the active unit's class pushes the image back to where the network is off, then nothing moves
    const r = await ascend(await runner(), spec(new Float32Array(SIZE).fill(0.5), { weights: Float32Array.of(0, -1, 0), steps: 200, lr: 0.05 }));
    const s = r.stall[0]!;
    expect(s.zeroGradientAtStart).toBe(false);
    expect(s.zeroGradientFrom).toBeGreaterThan(1);
    expect(s.zeroGradientFrom).toBeLessThan(200);
  });
});
