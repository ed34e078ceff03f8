/**
 * The peer written the way a tfjs user would write activation maximization: load the saved Keras-style model
 * (models/tfjs/<id>/model.json, through a custom IO handler reading the files from disk), take the
 * pre-softmax output (the last Dense layer's softmax switched to linear), `tf.grad` of the weighted logits,
 * `tf.train.adam` on the input, clip to [0, 1] after every step.
 *
 * A child process of the benchmark (one per backend: the backend is process-wide in tfjs):
 *   node --import tsx bench/tfjs-loop.ts '{"backend":"wasm","models":["fashion-mlp"],"batches":[1,10],...}'
 * prints one JSON line (TfjsResult) on stdout. CPU time is this process's (all threads), per request.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { ROOT, type BuiltinId } from './models.js';
import { defaultStarts, objectiveWeights, CLASS, LR, STEPS, WARMUP, WARMUP_QUICK } from './node-engine.js';
import { cpuNowMs, timed, warmUntilSettled, type Timing } from './stats.js';

export interface TfjsArgs {
  backend: 'wasm' | 'cpu';
  models: BuiltinId[];
  batches: number[];
  quick: boolean;
  /** skip a configuration whose request is estimated to take longer than this (CPU seconds) */
  limitS: number;
  /** a test image and onnxruntime's logits for it, per model: the check that the weights are the same */
  reference: Record<string, { pixels: number[]; logits: number[] }>;
}

export interface TfjsRow {
  model: BuiltinId;
  batch: number;
  requests: Timing[];
  /** set when the configuration was not measured */
  skipped?: string;
  /** estimated CPU ms per request from the first steps */
  estimateMs: number;
  probability: number;
  /** max |tfjs logit - onnxruntime logit| on the reference image */
  logitError: number;
}

export interface TfjsResult {
  backend: string;
  version: string;
  rows: TfjsRow[];
}

/** The saved model with its last layer's softmax switched to linear: its output is the logits. */
async function loadLogitsModel(id: BuiltinId): Promise<tf.LayersModel> {
  const dir = `${ROOT}models/tfjs/${id}/`;
  const json = JSON.parse(readFileSync(`${dir}model.json`, 'utf8')) as tf.io.ModelJSON;
  const topology = json.modelTopology as { config: { layers: { class_name: string; config: { activation?: string } }[] } };
  const last = topology.config.layers[topology.config.layers.length - 1];
  if (!last || last.config.activation !== 'softmax') throw new Error(`${id}: expected a final softmax layer`);
  last.config.activation = 'linear';
  const group = json.weightsManifest[0]!;
  const bytes = readFileSync(`${dir}${group.paths[0]!}`);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: topology,
      weightSpecs: group.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
    }),
  };
  return tf.loadLayersModel(handler);
}

/** One request: `steps` Adam steps of gradient ascent on the input from the API's default start; returns the final probabilities. */
async function maximize(model: tf.LayersModel, batch: number, steps: number): Promise<Float32Array> {
  const w = tf.tensor2d(objectiveWeights(batch), [batch, 10]);
  const objective = (x: tf.Tensor) => tf.sum(tf.mul(model.apply(x) as tf.Tensor, w));
  const gradient = tf.grad(objective);
  const x = tf.variable(tf.tensor3d(defaultStarts(batch), [batch, 28, 28]));
  const adam = tf.train.adam(LR);
  for (let t = 0; t < steps; t++) {
    tf.tidy(() => {
      const g = gradient(x);
      adam.applyGradients([{ name: x.name, tensor: tf.neg(g) }]); // ascent: descend on -objective
      x.assign(tf.clipByValue(x, 0, 1));
    });
  }
  const p = tf.tidy(() => tf.softmax(model.apply(x) as tf.Tensor));
  const out = (await p.data()) as Float32Array;
  tf.dispose([p, x, w]);
  adam.dispose();
  return out;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as TfjsArgs;
  tf.enableProdMode();
  if (args.backend === 'wasm') setThreadsCount(1);
  if (!(await tf.setBackend(args.backend))) throw new Error(`tfjs backend ${args.backend} failed to initialize`);
  await tf.ready();
  const rows: TfjsRow[] = [];
  for (const id of args.models) {
    const model = await loadLogitsModel(id);
    const ref = args.reference[id];
    let logitError = NaN;
    if (ref) {
      const logits = tf.tidy(() => model.predict(tf.tensor3d(ref.pixels, [1, 28, 28])) as tf.Tensor);
      const got = await logits.data();
      logits.dispose();
      logitError = Math.max(...ref.logits.map((v, i) => Math.abs(v - got[i]!)));
    }
    for (const batch of args.batches) {
      // estimate from a few steps (after one to compile kernels) before committing to full requests
      await maximize(model, batch, 2);
      const c0 = cpuNowMs();
      await maximize(model, batch, 8);
      const estimateMs = ((cpuNowMs() - c0) / 8) * STEPS;
      const base = { model: id, batch, estimateMs, logitError };
      if (estimateMs > args.limitS * 1000) {
        rows.push({ ...base, requests: [], probability: NaN, skipped: `~${(estimateMs / 1000).toFixed(0)} s per request (over ${args.limitS} s)` });
        continue;
      }
      // the warm-up every runtime gets (requests until the CPU per request settles), then as many requests as
      // fit in ~20 s (8 s with --quick), at least 2 in full runs unless one takes over 20 s
      const budget = args.quick ? 8000 : 20000;
      const reps = Math.max(args.quick || estimateMs > budget ? 1 : 2, Math.min(args.quick ? 3 : 10, Math.floor(budget / estimateMs)));
      await warmUntilSettled(async () => (await timed(() => maximize(model, batch, STEPS))).cpuMs, args.quick ? WARMUP_QUICK : WARMUP);
      const requests: Timing[] = [];
      let probs: ArrayLike<number> = [];
      for (let i = 0; i < reps; i++) {
        requests.push(await timed(async () => {
          probs = await maximize(model, batch, STEPS);
        }));
      }
      const probability = Array.from({ length: batch }, (_, s) => probs[s * 10 + CLASS]!).reduce((a, b) => a + b, 0) / batch;
      rows.push({ ...base, requests, probability });
    }
    model.dispose();
  }
  const result: TfjsResult = { backend: args.backend, version: tf.version.tfjs, rows };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
