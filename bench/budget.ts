/**
 * Calibration of the CPU budget (functions/budget/cpu.ts): what a gradient step costs as a function of the
 * model's forward FLOPs, in workerd (through `wrangler dev`, CPU of the Worker's process from /proc) and in Node
 * (this process's CPU clock around the engine's loop).
 *
 * Per model and batch, the cost of a step is the difference of two default requests, 256 and 16 steps, over the
 * 240 steps between them (what a request costs besides its steps cancels out); the cost besides the steps is the
 * 16-step request minus 17 runs. Then a least-squares fit of  step ms = perRunMs + rows * forwardFlops / rate
 * over all rows, and the rate at which every measured step is at or below the model: the budget's constants
 * should lie on that side.
 *
 * Models: the two built-ins, a stand-in for the typical uploaded two-conv MNIST net (two-conv.ts, 24 MFLOP), and
 * the corpus models when the corpus is there.
 */
import { ascend } from '../functions/engine/ascent.js';
import { createRunner, runnerOutputs } from '../functions/engine/runner.js';
import { NO_REGULARIZATION } from '../functions/engine/regularizers.js';
import { compileGradient, encodeProgram, programMeta } from '../functions/compiler/index.js';
import { WORKERD_CPU, type CpuModel } from '../functions/budget/cpu.js';
import { loadOrt } from '../functions/hosts/node/ort.js';
import { builtinModel, corpusModels, BUILTIN_IDS } from './models.js';
import { schedCpuMs } from './proc.js';
import { median, timed } from './stats.js';
import { twoConvNet } from './two-conv.js';
import { removeState, startWrangler, stateFolder } from './wrangler.js';

export interface BudgetRow {
  model: string;
  forwardFlops: number;
  batch: number;
  /** rows a run computes (a fixed-batch model pads) */
  rows: number;
  /** CPU ms per step */
  workerdStepMs: number;
  nodeStepMs: number;
  /** CPU ms of a request besides its steps (workerd) */
  workerdFixedMs: number;
}

export interface Fit {
  perRunMs: number;
  /** forward FLOPs per ms, least squares */
  flopsPerMs: number;
  /** forward FLOPs per ms at which no measured step is above the model (with the fitted perRunMs) */
  boundFlopsPerMs: number;
}

export interface BudgetResult {
  rows: BudgetRow[];
  workerd: Fit;
  node: Fit;
  /** the constants in functions/budget/cpu.ts, for comparison */
  current: CpuModel;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIMIT_ARGS = ['--var', 'MAX_CPU_MS:100000000'];

interface Candidate { id: string; bytes: Uint8Array; min: number; max: number; input?: string; output?: string }

function candidates(): Candidate[] {
  const builtins = BUILTIN_IDS.map((id) => builtinModel(id));
  const corpus = corpusModels().filter((m) => /lenet\.onnx$|nhwc|cntk/.test(m.path));
  return [...builtins, { id: 'two-conv (24 MFLOP)', bytes: twoConvNet(), min: 0, max: 1 }, ...corpus];
}

export function fit(points: { x: number; y: number }[]): Fit {
  // y = a + x / r, x = rows * forwardFlops
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  const a = Math.max(0, my - slope * mx);
  const bound = Math.min(...points.filter((p) => p.y > a).map((p) => p.x / (p.y - a)));
  return { perRunMs: a, flopsPerMs: slope > 0 ? 1 / slope : Infinity, boundFlopsPerMs: bound };
}

export async function budgetBench(opts: { quick: boolean; log: (s: string) => void }): Promise<BudgetResult> {
  const reps = opts.quick ? 3 : 5;
  const models = candidates();
  const batches = [1, 4];
  const rows: BudgetRow[] = [];

  // Node: the engine's loop in this process
  const ort = await loadOrt();
  const node = new Map<string, number>();
  for (const m of models) {
    const program = compileGradient(m.bytes, { ...(m.input ? { input: m.input } : {}), ...(m.output ? { output: m.output } : {}) });
    const meta = programMeta(program);
    const runner = await createRunner(ort, encodeProgram(program, runnerOutputs(meta)), meta);
    for (const batch of batches) {
      opts.log(`budget: Node, ${m.id}, batch ${batch}`);
      const spec = (steps: number) => ({
        layout: { height: 28, width: 28, channels: runner.sampleSize / 784, channelsLast: false },
        grid: { min: m.min, max: m.max }, constraints: { min: m.min, max: m.max, eps: 0, norm: 'linf' as const },
        optimizer: 'adam' as const, lr: 0.05 * (m.max - m.min), steps, regularization: NO_REGULARIZATION,
        starts: new Float32Array(batch * runner.sampleSize).fill((m.min + m.max) / 2 + 0.01), batch,
        weights: Float32Array.from({ length: meta.units }, (_, i) => (i === 3 ? 1 : 0)), traceClass: Array(batch).fill(3), seed: 0,
      });
      await ascend(runner, spec(16)); // warm
      const cost = async (steps: number) => {
        const xs: number[] = [];
        for (let i = 0; i < reps; i++) xs.push((await timed(() => ascend(runner, spec(steps)))).cpuMs);
        return median(xs);
      };
      node.set(`${m.id}/${batch}`, ((await cost(256)) - (await cost(16))) / 240);
    }
    await runner.release();
  }

  // workerd: the same models uploaded to wrangler dev, default requests
  const state = stateFolder();
  const dev = await startWrangler(state, 90_000, LIMIT_ARGS);
  try {
    let sequence = 0;
    const request = async (url: string): Promise<number> => {
      const w0 = schedCpuMs(dev.worker.pid);
      const r = await fetch(url, { signal: AbortSignal.timeout(300_000) }).catch((e: Error) => {
        throw new Error(`${url}: ${e.message} (${String((e as { cause?: unknown }).cause)})\n${dev.log()}`);
      });
      await r.arrayBuffer();
      await sleep(25);
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return schedCpuMs(dev.worker.pid) - w0;
    };
    for (const m of models) {
      let id = m.id;
      if (!BUILTIN_IDS.includes(m.id as never)) {
        const range = m.max === 255 ? '&min=0&max=255' : m.min === -1 ? '&mean=0.5&std=0.5' : '';
        const r = await fetch(`${dev.base}/api/v1/models?title=bench${range}`, { method: 'POST', body: new Blob([m.bytes as Uint8Array<ArrayBuffer>]), headers: { 'content-type': 'application/octet-stream' } });
        const j = (await r.json()) as { id?: string; detail?: string };
        if (!j.id) throw new Error(`upload of ${m.id}: ${j.detail}`);
        id = j.id;
      }
      const program = compileGradient(m.bytes, { ...(m.input ? { input: m.input } : {}), ...(m.output ? { output: m.output } : {}) });
      const fixedBatch = typeof program.input.shape[0] === 'number' ? program.input.shape[0] : null;
      for (const batch of batches) {
        opts.log(`budget: workerd, ${m.id}, batch ${batch}`);
        const url = (steps: number) => `${dev.base}/api/v1/maximize?model=${id}&class=3&steps=${steps}&restarts=${batch}&lr=0.05${String(++sequence).padStart(7, '0')}`;
        for (let i = 0; i < 3; i++) await request(url(16)); // warm
        const series = async (steps: number) => {
          const xs: number[] = [];
          for (let i = 0; i < reps; i++) xs.push(await request(url(steps)));
          return median(xs);
        };
        const short = await series(16);
        const long = await series(256);
        const step = (long - short) / 240;
        rows.push({
          model: m.id, forwardFlops: program.forwardFlops, batch,
          rows: fixedBatch ? Math.ceil(batch / fixedBatch) * fixedBatch : batch,
          workerdStepMs: step, nodeStepMs: node.get(`${m.id}/${batch}`)!, workerdFixedMs: short - 17 * step,
        });
      }
    }
  } finally {
    await dev.stop();
    removeState(state);
  }
  return {
    rows,
    workerd: fit(rows.map((r) => ({ x: r.rows * r.forwardFlops, y: r.workerdStepMs }))),
    node: fit(rows.map((r) => ({ x: r.rows * r.forwardFlops, y: r.nodeStepMs }))),
    current: WORKERD_CPU,
  };
}

export function budgetSection(b: BudgetResult): string {
  const f = (v: number, d = 2) => v.toFixed(d);
  const model = (perRun: number, rate: number, x: number) => perRun + x / rate;
  const lines = [
    '## CPU budget calibration',
    '',
    'CPU ms per gradient step (difference of 256- and 16-step default requests), against the budget\'s model',
    `step ms = ${f(b.current.perRunMs)} + rows x forward FLOPs / ${f(b.current.gradientFlopsPerMs / 1e6, 1)} MFLOP per ms (functions/budget/cpu.ts).`,
    '',
    '| model | MFLOP | batch | workerd ms/step | budget model | Node ms/step | workerd ms besides the steps |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...b.rows.map((r) => `| ${r.model} | ${f(r.forwardFlops / 1e6)} | ${r.batch} | ${f(r.workerdStepMs, 3)} | ${f(model(b.current.perRunMs, b.current.gradientFlopsPerMs, r.rows * r.forwardFlops), 3)} | ${f(r.nodeStepMs, 3)} | ${f(r.workerdFixedMs, 1)} |`),
    '',
    `Fit, workerd: ${f(b.workerd.perRunMs, 3)} ms per run + ${f(b.workerd.flopsPerMs / 1e6, 1)} MFLOP per ms (every step at or below the model at ${f(b.workerd.boundFlopsPerMs / 1e6, 1)} MFLOP per ms).`,
    `Fit, Node: ${f(b.node.perRunMs, 3)} ms per run + ${f(b.node.flopsPerMs / 1e6, 1)} MFLOP per ms (bound ${f(b.node.boundFlopsPerMs / 1e6, 1)}).`,
  ];
  return lines.join('\n');
}
