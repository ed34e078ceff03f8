/**
 * Every differentiable model of the corpus (real exports from Keras, PyTorch, CNTK, Chainer) compiles, and its
 * compiled gradient agrees with finite differences of the ORIGINAL model run by onnxruntime.
 *
 * The check: for a random direction d and step h, the central difference (f(x + h d) - f(x - h d)) / 2h of the
 * original model equals the average of the directional derivative grad f(x + s d) . d over s in [-h, h]
 * (the fundamental theorem of calculus, which holds across ReLU and max-pool kinks), evaluated with the compiled
 * gradient at 64 midpoints. A single-point comparison would be dominated by kinks, not by gradient errors.
 * Both objectives are checked: logit (as a contrast z_a - z_b, which the original model's output determines even
 * when it outputs probabilities) and prob.
 */
import { describe, expect, it } from 'vitest';
import { CompileError, ModelError, compileGradient, encodeProgram } from '../../../functions/compiler/index.js';
import { loadOrt } from '../../../functions/hosts/node/ort.js';
import { rng } from '../../../functions/engine/prng.js';
import { CORPUS_MISSING, corpus, corpusBytes, corpusPresent, differentiable, preprocessing, type CorpusEntry } from '../helpers/corpus.js';

const entries = corpus();
if (!corpusPresent) console.warn(CORPUS_MISSING);

type Scores = (x: Float32Array) => Promise<Float64Array>;

/** The original model's output turned into per-class scores for the chosen objective, batch of one. */
async function originalScores(e: CorpusEntry, bytes: Uint8Array, target: 'logit' | 'prob'): Promise<{ scores: Scores; shape: number[] }> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const input = e.inputs.find((i) => i.dtype === 'float32')!;
  const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
  const kind = e.output_kind;
  const outName = e.outputs.find((o) => o.dtype === 'float32')!.name;
  return {
    shape,
    scores: async (x) => {
      const out = await session.run({ [input.name]: new ort.Tensor('float32', x, shape) });
      const y = out[outName]!.data as Float32Array;
      const c = y.length / shape[0]!;
      const row = Float64Array.from(y.subarray(0, c));
      // logits up to a per-sample constant: log p for probability outputs, as is for logits / log-probabilities
      if (target === 'logit') return kind.startsWith('probabilities') ? row.map(Math.log) : row;
      if (kind.startsWith('probabilities')) return row;
      const m = Math.max(...row);
      const ex = row.map((v) => Math.exp(v - m));
      const s = ex.reduce((a, b) => a + b, 0);
      return ex.map((v) => v / s);
    },
  };
}

describe.skipIf(!corpusPresent)('the ONNX corpus', () => {
  it.each(entries.filter(differentiable).map((e) => [e.file, e] as const))('%s: compiled gradient = finite differences of the original', async (_f, e) => {
    const bytes = corpusBytes(e.file);
    const ort = await loadOrt();
    const pre = preprocessing(e);
    for (const target of ['logit', 'prob'] as const) {
      const program = compileGradient(bytes, { target });
      const session = await ort.InferenceSession.create(encodeProgram(program), { logSeverityLevel: 3 });
      const { scores, shape } = await originalScores(e, bytes, target);
      const batch = shape[0]!;
      const n = shape.reduce((a, b) => a * b, 1);
      const random = rng(7);
      // a random input in the model's range
      const x = new Float32Array(n).map(() => pre.min + (pre.max - pre.min) * random.next());
      const d = new Float32Array(n).map(() => random.next() - 0.5);
      // objective weights: contrast a - b for logits (invariant to the per-sample constant), one class for prob
      const units = program.units;
      const w = new Float32Array(batch * units);
      const [a, b] = [3, 7];
      w[a] = 1;
      if (target === 'logit') w[b] = -1;
      const objective = async (v: Float32Array) => {
        const s = await scores(v);
        return target === 'logit' ? s[a]! - s[b]! : s[a]!;
      };
      const h = 1e-3 * (pre.max - pre.min);
      const plus = x.map((v, i) => v + h * d[i]!);
      const minus = x.map((v, i) => v - h * d[i]!);
      const [fPlus, fMinus] = [await objective(plus), await objective(minus)];
      const fd = (fPlus - fMinus) / (2 * h);
      // float32 rounding of the two model evaluations, amplified by 1 / 2h
      const noise = (8 * 2 ** -23 * (Math.abs(fPlus) + Math.abs(fMinus))) / (2 * h);
      let integral = 0;
      const K = 64;
      for (let k = 0; k < K; k++) {
        const s = -h + ((k + 0.5) * 2 * h) / K;
        const xs = x.map((v, i) => v + s * d[i]!);
        const out = await session.run({
          [program.input.name]: new ort.Tensor('float32', xs, shape),
          [program.weights]: new ort.Tensor('float32', w, [batch, units]),
        });
        const g = out[program.outputs.grad]!.data as Float32Array;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += g[i]! * d[i]!;
        integral += dot / K;
      }
      expect(Math.abs(integral - fd), `${e.file} ${target}: gradient ${integral}, finite differences ${fd} (+-${noise})`)
        .toBeLessThanOrEqual(1e-2 * Math.abs(fd) + noise);
    }
  });

  it('refuses the int8-input model, saying there is no gradient with respect to an integer input', () => {
    const e = entries.find((x) => x.file === 'keras_tf2onnx_fashion_int8.onnx')!;
    expect(() => compileGradient(corpusBytes(e.file))).toThrow(ModelError);
    expect(() => compileGradient(corpusBytes(e.file))).toThrow(/int8: there is no gradient with respect to an integer input/);
  });

  it('refuses the scikit-learn model, naming its ai.onnx.ml operators and nodes', () => {
    const e = entries.find((x) => x.file === 'skl2onnx_mnist_logreg.onnx')!;
    let error: unknown;
    try {
      compileGradient(corpusBytes(e.file));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CompileError);
    const msg = (error as Error).message;
    expect(msg).toContain('ai.onnx.ml::LinearClassifier');
    expect(msg).toContain('ai.onnx.ml::Normalizer');
    expect(msg).toContain('"LinearClassifier"');
  });
});
