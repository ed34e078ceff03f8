/**
 * Turns the measurements into the Markdown report: one function per section, each returning Markdown.
 * Ratios are what the report is about (the machines are shared and noisy; absolute numbers are for scale).
 */
import { STEPS } from './node-engine.js';
import { median } from './stats.js';
import { fixed, ms, ratio, table, us, type Cell } from './table.js';
import type { BundleResult } from './bundle.js';
import type { FloorResult } from './floor.js';
import type { GradientForwardResult } from './gradient-vs-forward.js';
import type { Machine } from './machine.js';
import type { BuiltinId } from './models.js';
import type { NodeEngineRow } from './node-engine.js';
import type { KernelRow } from './kernel-engine.js';
import type { ProfileRow } from './ort-profile.js';
import type { TorchResult } from './peers.js';
import type { TfjsResult } from './tfjs-loop.js';
import type { WorkerdResult, WorkerdSample } from './workerd.js';

/** Workers paid plan (PLATFORM.md): per million requests, per million CPU-ms, beyond the included amounts. */
export const PRICE = { perMillionRequests: 0.3, perMillionCpuMs: 0.02, freePlanCpuMs: 10 };

/** The product plan's targets (printed next to the measurements, never asserted). */
export const TARGETS = { mlpMs: 6, cnnMs: 75, coldMs: 50, vsTorch: 3, vsTfjs: 10, batch10: 3, hitMs: 1 };

export interface Results {
  machine: Machine;
  quick: boolean;
  gradient?: GradientForwardResult;
  node?: NodeEngineRow[];
  kernel?: KernelRow[];
  workerd?: WorkerdResult;
  tfjs: Partial<Record<'wasm' | 'cpu', TfjsResult>>;
  torch?: TorchResult;
  floor?: FloorResult;
  bundle?: BundleResult;
  profile?: ProfileRow[];
  /** per part that failed: its error */
  errors: Record<string, string>;
  seconds: Record<string, number>;
}

type Config = { model: BuiltinId; batch: number };
const CONFIGS: Config[] = [
  { model: 'fashion-mlp', batch: 1 },
  { model: 'fashion-mlp', batch: 10 },
  { model: 'fashion-cnn', batch: 1 },
  { model: 'fashion-cnn', batch: 10 },
];
const cpuMedian = (xs: { cpuMs: number }[]) => median(xs.map((x) => x.cpuMs));
const wallMedian = (xs: { wallMs: number }[]) => median(xs.map((x) => x.wallMs));
const sampleMedian = (xs: WorkerdSample[] | undefined, k: 'cpuMs' | 'v8Ms' | 'wallMs' | 'proxyMs') => (xs && xs.length ? median(xs.map((x) => x[k])) : NaN);
const prob = (p: number | null | undefined) => (p === null || p === undefined || Number.isNaN(p) ? '–' : p.toFixed(3));

/** One measured runtime for one configuration. */
interface Measured {
  cpuMs: number;
  wallMs?: number;
  probability?: number | null;
  note?: string;
}

export function lookups(r: Results) {
  const workerd = (c: Config) => r.workerd?.rows.find((w) => w.model === c.model && w.batch === c.batch && !w.prior && !w.attribute);
  const node = (c: Config) => r.node?.find((n) => n.model === c.model && n.batch === c.batch);
  const kernel = (c: Config) => r.kernel?.find((n) => n.model === c.model && n.batch === c.batch);
  const tfjs = (backend: 'wasm' | 'cpu', c: Config) => r.tfjs[backend]?.rows.find((t) => t.model === c.model && t.batch === c.batch);
  const torch = (c: Config) => r.torch?.rows.find((t) => t.model === c.model && t.batch === c.batch);
  const floor = (c: Config) => r.floor?.rows.find((f) => f.model === c.model && f.batch === c.batch);
  const measured: Record<string, (c: Config) => Measured | undefined> = {
    'Ascent, workerd': (c) => {
      const w = workerd(c);
      return w && { cpuMs: sampleMedian(w.warm, 'cpuMs'), wallMs: sampleMedian(w.warm, 'wallMs'), probability: w.probability };
    },
    'Ascent, Node': (c) => {
      const n = kernel(c);
      return n && { cpuMs: cpuMedian(n.requests), wallMs: wallMedian(n.requests), probability: n.probability };
    },
    'onnxruntime engine, Node': (c) => {
      const n = node(c);
      return n && { cpuMs: cpuMedian(n.requests), wallMs: wallMedian(n.requests), probability: n.probability };
    },
    'tfjs, wasm': (c) => {
      const t = tfjs('wasm', c);
      return t && (t.skipped ? { cpuMs: NaN, note: `skipped: ${t.skipped}` } : { cpuMs: cpuMedian(t.requests), wallMs: wallMedian(t.requests), probability: t.probability });
    },
    'tfjs, cpu': (c) => {
      const t = tfjs('cpu', c);
      return t && (t.skipped ? { cpuMs: NaN, note: `skipped: ${t.skipped}` } : { cpuMs: cpuMedian(t.requests), wallMs: wallMedian(t.requests), probability: t.probability });
    },
    PyTorch: (c) => {
      if (r.torch?.error) return { cpuMs: NaN, note: r.torch.error };
      const t = torch(c);
      return t && (t.skipped ? { cpuMs: NaN, note: t.skipped } : { cpuMs: cpuMedian(t.requests), wallMs: wallMedian(t.requests), probability: t.probability });
    },
    'numpy/torch, a call per product': (c) => {
      const f = floor(c);
      return f && Number.isFinite(f.sameShapeMs) ? { cpuMs: f.sameShapeMs } : undefined;
    },
    'arithmetic floor': (c) => {
      const f = floor(c);
      return f && { cpuMs: f.arithmeticMs };
    },
  };
  return { workerd, node, kernel, tfjs, torch, floor, measured };
}

export function header(r: Results): string {
  const m = r.machine;
  const py = r.torch?.torch ? `torch ${r.torch.torch}, numpy ${r.torch.numpy}, onnx ${r.torch.onnx} (Debian, /usr/bin/python3)` : r.torch?.error ? `PyTorch: ${r.torch.error}` : 'PyTorch: not run';
  return [
    '# Ascent benchmark',
    '',
    `- date: ${m.date}${r.quick ? ' (--quick: fewer repetitions)' : ''}`,
    `- machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, load average at start ${m.load}`,
    `- versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; ${py}`,
    '- every number is CPU time unless marked wall; machines here are shared and noisy, so compare ratios measured in the same run',
  ].join('\n');
}

export function gradientSection(g: GradientForwardResult): string {
  const rows: Cell[][] = g.rows.map((x) => [
    x.model, x.source, x.batch, us(x.forwardUs), us(x.gradientUs), ratio(x.gradientUs, x.forwardUs),
    ratio(x.gradientUs - x.identityUs, x.forwardUs - x.identityUs), us(x.identityUs), `${x.forwardNodes} → ${x.gradientNodes}`, fixed(x.mflop),
    Number.isFinite(x.kernelUs) ? us(x.kernelUs) : `– (${x.kernelSkipped ?? 'not run'})`, ratio(x.gradientUs, x.kernelUs),
  ]);
  const failed = g.failed.map((f) => `- ${f.model}: not measured (${f.reason})`);
  return [
    '## 1. Gradient program vs forward (Node, onnxruntime-web, 1 thread)',
    '',
    'Median CPU time of one `session.run`: the original model vs its compiled gradient program (`compileGradient` + `encodeProgram`; inputs: the image and `objective_weights` [1, units]). Autodiff theory: forward + backward about 3x the forward or less. "net" subtracts the cost of an empty call (Identity of the same input) from both sides. "kernel": one evaluation of the same program by Ascent\'s WebAssembly kernel (a call that copies the input in and the outputs out); onnxruntime ÷ kernel > 1: the kernel is faster, and a model onnxruntime ran faster would be one to leave on onnxruntime.',
    '',
    table(['model', 'source', 'batch', 'forward', 'gradient', 'gradient ÷ forward', 'net ÷ net', 'Identity run', 'nodes', 'MFLOP/sample', 'kernel', 'onnxruntime ÷ kernel'], rows),
    ...(failed.length ? ['', ...failed] : []),
  ].join('\n');
}

export function maximizeSection(r: Results): string {
  const L = lookups(r);
  const out: string[] = [
    '## 2. Maximize: 256 Adam steps from the default start, no regularizers',
    '',
    'CPU per request (median). Every runtime does the same work: class 7, from the API\'s default start images (init=normal, seed 0: mid-gray plus noise), batch 10 = ten restarts of class 7 (`restarts=10`), after the same warm-up. The API requests are the default ones (`/api/v1/maximize?model=...&class=7`, a PNG; a unique `lr` keeps them out of the cache). Ascent runs them on its WebAssembly kernel; "onnxruntime engine" is the same loop with one `session.run` per step (what programs the kernel does not cover get). p: the final probability of the target class (mean over the batch). Per step: request ÷ 256. The arithmetic floor: the matrix products\' FLOPs at the kernel\'s large-product rate (see below).',
    '',
  ];
  const rows: Cell[][] = [];
  for (const c of CONFIGS) {
    const w = L.workerd(c);
    for (const [name, get] of Object.entries(L.measured)) {
      const m = get(c);
      if (!m) continue;
      let note = m.note ?? '';
      if (name === 'Ascent, workerd' && c.batch === 10) note = 'restarts=10';
      if (name === 'numpy/torch, a call per product') note = `matrix products only, one library call each; fastest lib: ${L.floor(c)?.lib ?? '?'}`;
      if (name === 'arithmetic floor') note = `matrix FLOPs at ${fixed(r.floor?.wasmGflops ?? NaN)} GFLOP/s (the kernel's 512³ product)`;
      rows.push([c.model, c.batch, name, ms(m.cpuMs), us((m.cpuMs / STEPS) * 1000), m.wallMs === undefined ? '' : ms(m.wallMs), m.probability === undefined ? '' : prob(m.probability), note]);
      if (name === 'Ascent, workerd' && w) {
        if (w.cold) rows.push([c.model, c.batch, 'Ascent, workerd, first request of a fresh isolate', ms(w.cold.cpuMs), '', ms(w.cold.wallMs), '', 'isolate start-up, kernel instance, precompiled program, request']);
        rows.push([c.model, c.batch, 'Ascent, workerd, cache hit', ms(sampleMedian(w.hit, 'cpuMs')), '', ms(sampleMedian(w.hit, 'wallMs')), '', 'X-Ascent-Cache: hit']);
      }
    }
  }
  out.push(table(['model', 'batch', 'runtime', 'CPU/request', 'per step', 'wall', 'p', 'note'], rows));
  // a sanity check: every loop should reach a high probability for its class in 256 steps
  const stuck = rows.filter((row) => typeof row[6] === 'string' && row[6] !== '' && row[6] !== '–' && Number(row[6]) < 0.5);
  if (stuck.length) {
    out.push('', `**Warning**: ${stuck.map((row) => `${row[2]} (${row[0]} batch ${row[1]}: p = ${row[6]})`).join(', ')} did not raise the class probability above 0.5: the times of a loop that does not ascend are not comparable (check the engine's gradient and outputs).`);
  }

  out.push('', '### Ratios (same run)', '', 'Peers ÷ Ascent: how many times more CPU the peer needs than Ascent in workerd (> 1: Ascent is faster). Ascent ÷ floor: how far above the arithmetic floor Ascent is.', '');
  const ratioRows: Cell[][] = CONFIGS.map((c) => {
    const a = L.measured['Ascent, workerd']!(c)?.cpuMs;
    const v = (k: string) => L.measured[k]!(c)?.cpuMs;
    return [c.model, c.batch, ms(a), ratio(a, v('Ascent, Node')), ratio(v('onnxruntime engine, Node'), v('Ascent, Node')), ratio(v('tfjs, wasm'), a), ratio(v('tfjs, cpu'), a), ratio(v('PyTorch'), a), ratio(a, v('arithmetic floor')), ratio(v('Ascent, Node'), v('arithmetic floor'))];
  });
  out.push(table(['model', 'batch', 'Ascent (workerd)', 'workerd ÷ Node', 'onnxruntime engine ÷ kernel (Node)', 'tfjs wasm ÷ Ascent', 'tfjs cpu ÷ Ascent', 'PyTorch ÷ Ascent', 'Ascent (workerd) ÷ floor', 'Ascent (Node) ÷ floor'], ratioRows));

  out.push('', '### Batch 10 ÷ batch 1', '');
  const batchRows: Cell[][] = Object.entries(L.measured).map(([name, get]) => [
    name,
    ...(['fashion-mlp', 'fashion-cnn'] as const).map((model) => ratio(get({ model, batch: 10 })?.cpuMs, get({ model, batch: 1 })?.cpuMs)),
  ]);
  out.push(table(['runtime', 'fashion-mlp', 'fashion-cnn'], batchRows));
  return out.join('\n');
}

export function targetsSection(r: Results): string {
  const L = lookups(r);
  const a = (c: Config) => L.measured['Ascent, workerd']!(c)?.cpuMs;
  const per = (f: (c: Config) => number | undefined, suffix = 'x') =>
    CONFIGS.map((c) => `${c.model.replace('fashion-', '')} b${c.batch}: ${Number.isFinite(f(c) ?? NaN) ? `${fixed(f(c)!)}${suffix}` : '–'}`).join(', ');
  const within = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : 'no');
  const all = (f: (c: Config) => number | undefined, ok: (v: number) => boolean) => {
    const vs = CONFIGS.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return vs.length === 0 ? undefined : vs.every(ok);
  };
  const mlp = a({ model: 'fashion-mlp', batch: 1 });
  const cnn = a({ model: 'fashion-cnn', batch: 1 });
  // what any request costs in local workerd (HTTP, wrangler's dev middleware, routing): an unknown API path's 404
  const floors = CONFIGS.map((c) => sampleMedian(L.workerd(c)?.notFound, 'cpuMs')).filter(Number.isFinite);
  const anyRequest = floors.length ? median(floors) : undefined;
  // what a request costs the runtime when the Worker does nothing (workerd.ts emptyWorker)
  const empty = r.workerd?.emptyWorker?.length ? sampleMedian(r.workerd.emptyWorker, 'cpuMs') : undefined;
  const above = (v: number | undefined) =>
    v === undefined ? ''
      : empty !== undefined ? ` (${ms(v - empty)} above an empty Worker's request, ${ms(empty)}, in the same runtime)`
        : anyRequest !== undefined ? ` (${ms(v - anyRequest)} above any request)` : '';
  const mlpColdSample = L.workerd({ model: 'fashion-mlp', batch: 1 })?.cold;
  const cnnColdSample = L.workerd({ model: 'fashion-cnn', batch: 1 })?.cold;
  const mlpCold = mlpColdSample?.cpuMs;
  const cnnCold = cnnColdSample?.cpuMs;
  const split = (c: WorkerdSample | undefined) => (c ? `${ms(c.cpuMs)} (${ms(c.cpuMs - c.v8Ms)} on the Worker's thread, ${ms(c.v8Ms)} on V8's compiler threads)` : '–');
  const vsTorch = (c: Config) => { const t = L.measured.PyTorch!(c)?.cpuMs; const x = a(c); return t !== undefined && x !== undefined ? t / x : undefined; };
  const vsTfjs = (c: Config) => { const t = L.measured['tfjs, wasm']!(c)?.cpuMs; const x = a(c); return t !== undefined && x !== undefined ? t / x : undefined; };
  const b10 = (model: BuiltinId) => { const x = a({ model, batch: 10 }); const y = a({ model, batch: 1 }); return x !== undefined && y !== undefined ? x / y : undefined; };
  // the least batch 10 can cost: its matrix FLOPs at the large-product rate, nothing else, against the whole single request
  const b10Floor = (model: BuiltinId) => { const f = L.floor({ model, batch: 10 })?.arithmeticMs; const y = a({ model, batch: 1 }); return f !== undefined && y !== undefined ? f / y : undefined; };
  const b10FloorNote = ['fashion-mlp', 'fashion-cnn'].some((m) => b10Floor(m as BuiltinId) !== undefined)
    ? `; the ten restarts' arithmetic floor alone (their matrix FLOPs at the large-product rate, no other work) is mlp ${ratio(b10Floor('fashion-mlp') ?? NaN, 1)}, cnn ${ratio(b10Floor('fashion-cnn') ?? NaN, 1)} the single request`
    : '';
  const hits = CONFIGS.map((c) => sampleMedian(L.workerd(c)?.hit, 'cpuMs')).filter(Number.isFinite);
  const hit = hits.length ? median(hits) : undefined;
  const hitShare = hit !== undefined && anyRequest !== undefined ? Math.max(0, hit - anyRequest) : undefined;
  const rows: Cell[][] = [
    [`fashion-mlp default (256 steps) <= ${TARGETS.mlpMs} ms CPU in workerd`, `${ms(mlp)} warm${above(mlp)}; first request of a fresh isolate ${ms(mlpCold)}`, within(mlp === undefined || !Number.isFinite(mlp) ? undefined : mlp <= TARGETS.mlpMs)],
    [`fashion-cnn default <= ${TARGETS.cnnMs} ms CPU in workerd`, `${ms(cnn)} warm${above(cnn)}`, within(cnn === undefined || !Number.isFinite(cnn) ? undefined : cnn <= TARGETS.cnnMs)],
    [`first default request of a fresh isolate <= ${TARGETS.coldMs} ms CPU`, `mlp ${split(mlpColdSample)}, cnn ${split(cnnColdSample)}`, within(mlpCold === undefined ? undefined : [mlpCold, cnnCold].every((v) => v === undefined || v <= TARGETS.coldMs))],
    [`>= ${TARGETS.vsTorch}x faster than the PyTorch loop`, per(vsTorch), within(all(vsTorch, (v) => v >= TARGETS.vsTorch))],
    [`>= ${TARGETS.vsTfjs}x faster than the tfjs loop (wasm, the fastest tfjs backend here)`, per(vsTfjs), within(all(vsTfjs, (v) => v >= TARGETS.vsTfjs))],
    [`batch 10 <= ${TARGETS.batch10}x batch 1 (workerd, restarts=10)`, `mlp ${ratio(b10('fashion-mlp') ?? NaN, 1)}, cnn ${ratio(b10('fashion-cnn') ?? NaN, 1)}${b10FloorNote}`, within(b10('fashion-mlp') === undefined ? undefined : [b10('fashion-mlp'), b10('fashion-cnn')].every((v) => v === undefined || v <= TARGETS.batch10))],
    [`cache hit < ${TARGETS.hitMs} ms CPU`, `${ms(hit)} in local workerd, where any request costs ${ms(anyRequest)} (an unknown path's 404): ${ms(hitShare)} above that`, within(hitShare === undefined ? undefined : hitShare < TARGETS.hitMs)],
  ];
  return ['## Targets from the product plan (printed, not asserted)', '', table(['target', 'measured', 'within'], rows)].join('\n');
}

export function timeSection(r: Results): string {
  const L = lookups(r);
  if (!r.node?.length) return '';
  const rows: Cell[][] = r.node.map((n) => {
    const cpu = cpuMedian(n.requests);
    const f = L.floor(n);
    return [
      n.model, n.batch, ms(cpu), ms(wallMedian(n.requests)), ms(n.otherThreadsPerRequestMs), ms(n.inLoopRunMs), ms(n.inLoopRestMs),
      us((n.inLoopRunMs / (STEPS + 1)) * 1000), us((n.replayMs / (STEPS + 1)) * 1000), us((n.constantMs / (STEPS + 1)) * 1000), us((n.identityMs / (STEPS + 1)) * 1000),
      f ? us((f.arithmeticMs / STEPS) * 1000) : '–', n.warmups,
    ];
  });
  return [
    '### Where the time goes in the onnxruntime engine (Node)',
    '',
    'One request split: CPU inside the 257 `runner.run` calls (256 steps + the final evaluation: onnxruntime, tensor wrapping, copies in and out of the wasm heap) and the rest (the JavaScript loop: Adam, projection, trace, softmax, copying the gradient). "other threads": CPU of V8\'s background threads (compilers, GC), included in the request. Per run: a `runner.run` inside the loop; the same 257 inputs recorded and replayed without the loop; a constant image (uniform input: max-pool and ReLU masks become predictable, so faster; realistic inputs are the ones that count); an empty call (Identity model, same input): the fixed cost of a `session.run`. Arithmetic floor per step: see the floor.',
    '',
    table(['model', 'batch', 'CPU/request', 'wall', 'other threads', 'in runner.run', 'rest (JS)', 'run in loop', 'run replayed', 'run, constant image', 'Identity run', 'arithmetic floor per step', 'warm-ups'], rows),
  ].join('\n');
}

/** The default request through a prior against the default pixel request of the same model (the 2x budget). */
export function priorSection(w: WorkerdResult): string {
  const lines: string[] = [];
  for (const x of w.rows.filter((row) => row.prior)) {
    const pixel = w.rows.find((row) => row.model === x.model && row.batch === x.batch && !row.prior && !row.attribute);
    const a = sampleMedian(x.warm, 'cpuMs');
    const b = pixel ? sampleMedian(pixel.warm, 'cpuMs') : NaN;
    lines.push(`| ${x.model} | ${x.prior} | ${ms(a)} | ${ms(b)} | ${ratio(a, b)} | ${prob(x.probability)} |`);
  }
  if (!lines.length) return '';
  return [
    '### Through a prior (workerd)',
    '',
    'The default request with `prior=...` (128 Adam steps, its default, on the code z through G and the classifier, then G(z) quantized and scored), against the default pixel request of the same model (CPU per request, median, warm). Budget: at most 2x.',
    '',
    '| model | prior | prior request | pixel request | prior ÷ pixel | p |',
    '|---|---|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

/** The default attribution request against the default maximize request of the same model (the target: it costs less). */
export function attributeSection(w: WorkerdResult): string {
  const lines: string[] = [];
  for (const x of w.rows.filter((row) => row.attribute)) {
    const maximize = w.rows.find((row) => row.model === x.model && row.batch === 1 && !row.prior && !row.attribute);
    const a = sampleMedian(x.warm, 'cpuMs');
    const b = maximize ? sampleMedian(maximize.warm, 'cpuMs') : NaN;
    lines.push(`| ${x.model} | ${x.attribute} | ${ms(a)} | ${ms(sampleMedian(x.oneStep, 'cpuMs'))} | ${ms(b)} | ${ratio(a, b)} | ${a < b ? 'yes' : 'no'} |`);
  }
  if (!lines.length) return '';
  return [
    '### Attribution (workerd)',
    '',
    'The default `/api/v1/attribute` request (a PNG heatmap of a test image, the predicted class; integrated: 256 path points and the baseline in one batch, plus one prediction run) against the default maximize request of the same model (256 steps), CPU per request, median, warm, each URL distinct. Target: the attribution costs less. "steps=2": the same request with 2 path points (its cost besides the gradient batch).',
    '',
    '| model | method | attribute request | steps=2 | maximize request | attribute ÷ maximize | cheaper |',
    '|---|---|---:|---:|---:|---:|---|',
    ...lines,
  ].join('\n');
}

export function workerdSection(w: WorkerdResult): string {
  const rows: Cell[][] = w.rows.filter((x) => !x.attribute).map((x) => [
    x.model, x.batch === 10 ? '10 (restarts=10)' : `${x.batch}${x.prior ? ` prior=${x.prior}` : ''}`, ms(sampleMedian(x.warm, 'cpuMs')), ms(sampleMedian(x.warm, 'v8Ms')), ms(x.warmTicksMs), ms(sampleMedian(x.warm, 'wallMs')),
    ms(sampleMedian(x.warm, 'proxyMs')), x.warmups.length, ms(sampleMedian(x.oneStep, 'cpuMs')),
    us(((sampleMedian(x.warm, 'cpuMs') - sampleMedian(x.oneStep, 'cpuMs')) / (STEPS - 1)) * 1000),
    ms(sampleMedian(x.hit, 'cpuMs')), ms(sampleMedian(x.revalidated, 'cpuMs')), ms(sampleMedian(x.notFound, 'cpuMs')),
    x.cold ? ms(x.cold.cpuMs) : '', x.cold ? ms(x.cold.v8Ms) : '', x.cold ? String(x.cold.faults) : '', x.cold ? ms(x.cold.wallMs) : '',
  ]);
  const notes = [
    w.firstEver ? `- The very first request with empty local state (${w.firstEver.model}: compiles the model and stores the program in R2): ${ms(w.firstEver.sample.cpuMs)} CPU, ${ms(w.firstEver.sample.wallMs)} wall. "first request" above is a restarted wrangler dev with the program already stored, as in production after the first request anywhere.` : '',
    `- CPU of the Worker's workerd process, read from /proc around each request (schedstat, ns; "ticks": utime+stime over the series ÷ requests, ${'1/CLK_TCK'} resolution, a cross-check). The idle process burned ${fixed(w.idleMsPerS)} ms/s. wrangler dev started ${w.startups} times.`,
    '- "of which V8 threads": the part of that CPU spent on V8\'s background threads (the optimizing compilers tiering up hot JavaScript and WebAssembly, and GC helpers), counted in every figure here; the rest ran on workerd\'s own thread, the one that runs the Worker. A fresh isolate spends much of its first requests compiling there.',
    '- "page faults": minor page faults of the Worker\'s process during its first request, each the first touch of a fresh page of memory (the program\'s weights copied into the kernel\'s memory, new heap pages); on this virtual machine each costs about 15 µs, against well under 1 µs on bare metal (a Node loop touching a fresh 16 MB buffer: 15.4 µs a page, 0.03 µs a page the second time).',
    w.emptyWorker?.length ? `- An empty Worker (every request answered with an empty 404) served by the same \`wrangler dev\` with the same assets and routing rules costs ${ms(sampleMedian(w.emptyWorker, 'cpuMs'))} per request (median of ${w.emptyWorker.length}): workerd's HTTP handling and wrangler dev's own entry and asset-router Workers, which run in the Worker's process: work of the runtime and of wrangler dev, not of the Worker.` : '',
    '- "dev proxy": CPU of wrangler\'s other workerd process, which forwards each request to the Worker (not part of the Worker\'s bill). Local workerd also runs the inspector wrangler attaches, so any request costs more here than in production.',
    cacheApiNote(w),
    `- Warm: after at least 40 warm-up requests and until the CPU per request settles (workerd's V8 tiers WebAssembly up only after about 13 M bytes of a function have run), then the median of 20 requests.${early(w)}`,
    '- "steps=1": the same request with one step (two runs of the program): what a computed request costs besides its steps (HTTP, parameters, session lookup, JSON, cache write). "per step": (warm - steps=1) ÷ 255.',
    '- The parts of a cache hit: "304 revalidation" is the same URL with If-None-Match (query parsing, planning, ETag; no cache lookup, no body), "404" an unknown API path (HTTP, routing, a problem+json body).',
  ].filter(Boolean);
  return [
    '### Ascent in workerd (wrangler dev)',
    '',
    table(['model', 'batch', 'warm CPU', 'of which V8 threads', 'warm CPU (ticks)', 'warm wall', 'dev proxy CPU', 'warm-ups', 'steps=1', 'per step', 'cache hit', '304 revalidation', '404 (routing only)', 'first request CPU', 'of which V8 threads', 'page faults', 'first request wall'], rows),
    '',
    ...notes,
  ].join('\n');
}

/** What the local Cache API simulation adds to the Worker process's CPU (the rows run without it). */
function cacheApiNote(w: WorkerdResult): string {
  const c = w.cacheApi;
  if (!c) return '';
  const d = (on: WorkerdSample[], off: WorkerdSample[]) => `${ms(sampleMedian(on, 'cpuMs'))} against ${ms(sampleMedian(off, 'cpuMs'))}`;
  return `- The Cache API: every row runs with \`CACHE_API=off\` (results kept in the isolate's memory only), because \`wrangler dev\` simulates the Cache API with another service inside the Worker's own workerd process, whose CPU /proc cannot tell from the Worker's; in production a cache lookup or write is I/O outside the isolate. With the simulation on (as deployed; a second wrangler dev, requests alternating with the first), ${c.model} batch ${c.batch}: ${d(c.warm, c.offWarm)} per request, ${d(c.oneStep, c.offOneStep)} with steps=1.`;
}

/** The warm-up series of the first configuration measured: the early requests of an isolate. */
function early(w: WorkerdResult): string {
  const first = w.rows[0];
  if (!first || first.warmups.length < 3) return '';
  const costs = first.warmups;
  const head = costs.slice(0, 5);
  return ` Requests 2-${head.length + 1} of the isolate (${first.model}, batch ${first.batch}, right after its first request): ${head.map((v) => fixed(v)).join(', ')} ms; settled after ${costs.length} requests at ${ms(sampleMedian(first.warm, 'cpuMs'))}.`;
}

export function floorSection(f: FloorResult): string {
  const rows: Cell[][] = f.rows.map((x) => [x.model, x.batch, fixed(x.forwardFlops / 1e6), fixed(x.totalFlops / 1e9), ms(x.arithmeticMs), us((x.arithmeticMs / STEPS) * 1000), Number.isFinite(x.sameShapeMs) ? ms(x.sameShapeMs) : '–']);
  const shapes: Cell[][] = f.shapes.map((s) => [s.shape.join(' x '), s.lib, fixed(s.gflops)]);
  return [
    '### The arithmetic floor',
    '',
    'Counted: the matrix products of 256 steps, per sample and step a forward pass (dense 2·in·out, conv 2·Cout·Cin·k·k·Hout·Wout) and the input gradient only (the same products transposed: 1x the forward; no weight gradients, so 2x forward in all, not the 3x of training). Not counted: bias, ReLU, max-pool, batch norm, softmax, im2col, the optimizer.',
    `The rate: ${fixed(f.wasmGflops)} GFLOP/s, Ascent's kernel's own f32x4 matrix product on 512 x 512 x 512, one thread, measured in this run: no call overhead, and the weights of a large product come from cache. At batch 1 the dense products are matrix-vector products bound by memory bandwidth (every weight read for 2 FLOPs), so the floor is out of reach there; the kernel skips the rows of zero inputs and masked outputs, which the floor counts.`,
    `For reference, the same products at their own shapes through numpy / torch.mm / torch's oneDNN, one call each (what a library-per-product loop costs: the fastest per shape, their call overhead half subtracted; numpy's BLAS here: ${f.blas || '–'}${f.error ? `; ${f.error}` : ''}).`,
    '',
    table(['model', 'batch', 'forward MFLOP/sample', 'GFLOP (256 steps)', 'arithmetic floor', 'floor per step', 'numpy/torch, a call per product'], rows),
    ...(shapes.length ? ['', '<details><summary>numpy/torch rate per product shape ([M, K] x [K, N], one thread)</summary>', '', table(['M x K x N', 'fastest', 'GFLOP/s'], shapes), '', '</details>'] : []),
  ].join('\n');
}

/** Ascent's kernel in Node, per step: the request, the gradient program alone, and the arithmetic floor. */
export function kernelSection(r: Results): string {
  const L = lookups(r);
  if (!r.kernel?.length) return '';
  const rows: Cell[][] = r.kernel.map((k) => {
    const cpu = cpuMedian(k.requests);
    const f = L.floor(k);
    const floorStep = f ? (f.arithmeticMs / STEPS) * 1000 : NaN;
    return [k.model, k.batch, ms(cpu), us((cpu / STEPS) * 1000), us((k.programMs / (STEPS + 1)) * 1000), us(floorStep), ratio((cpu / STEPS) * 1000, floorStep), k.warmups];
  });
  return [
    '### Ascent\'s kernel per step (Node)',
    '',
    'Per step: the request ÷ 256 (the whole ascent in one WebAssembly call: forward, backward, Adam, projection, trace). Program per step: the gradient program alone (257 evaluations, one call each, ÷ 257). Floor per step: the arithmetic floor ÷ 256.',
    '',
    table(['model', 'batch', 'CPU/request', 'per step', 'program per step', 'floor per step', 'per step ÷ floor', 'warm-ups'], rows),
  ].join('\n');
}

export function costSection(r: Results): string {
  const L = lookups(r);
  const w = L.workerd({ model: 'fashion-mlp', batch: 1 });
  if (!w) return '## 3. Cost\n\nnot measured (needs the workerd measurements)';
  const price = (cpu: number) => [ms(cpu), `$${PRICE.perMillionRequests.toFixed(2)}`, `$${((cpu * PRICE.perMillionCpuMs)).toFixed(2)}`, `$${(PRICE.perMillionRequests + cpu * PRICE.perMillionCpuMs).toFixed(2)}`];
  const warm = sampleMedian(w.warm, 'cpuMs');
  const hit = sampleMedian(w.hit, 'cpuMs');
  const cnn = L.workerd({ model: 'fashion-cnn', batch: 1 });
  const rows: Cell[][] = [
    ['fashion-mlp class=K, 256 steps (warm isolate)', ...price(warm)],
    ...(w.cold ? [['the same, first request of a fresh isolate', ...price(w.cold.cpuMs)]] : []),
    ...(cnn ? [['fashion-cnn class=K, 256 steps (warm)', ...price(sampleMedian(cnn.warm, 'cpuMs'))]] : []),
    ['cache hit (the same URL again)', ...price(hit)],
  ];
  const fits = warm <= PRICE.freePlanCpuMs;
  return [
    '## 3. Cost per million requests (Workers paid plan)',
    '',
    `$${PRICE.perMillionRequests.toFixed(2)} per million requests + $${PRICE.perMillionCpuMs.toFixed(2)} per million CPU-ms, beyond the included amounts (10 M requests and 30 M CPU-ms a month), from the workerd CPU measured above.`,
    '',
    table(['request', 'CPU (workerd)', 'requests', 'CPU', 'total per million'], rows),
    '',
    `Free plan (10 ms CPU per request, hard limit): the default fashion-mlp request takes ${ms(warm)} in a warm isolate: it ${fits ? 'fits' : 'does not fit'}${w.cold ? `; the first request of a fresh isolate (${ms(w.cold.cpuMs)}) ${w.cold.cpuMs <= PRICE.freePlanCpuMs ? 'fits too' : 'does not'}` : ''}. A cache hit (${ms(hit)}) ${hit <= PRICE.freePlanCpuMs ? 'fits' : 'does not fit'}.`,
  ].join('\n');
}

export function bundleSection(b: BundleResult): string {
  const kib = (v: number) => `${Math.round(v)} KiB`;
  const rows: Cell[][] = b.files.map((f) => [f.name.replace(/^[0-9a-f]{40}-/, ''), kib(f.bytes / 1024), kib(f.gzip / 1024)]);
  rows.push(['total (wrangler)', kib(b.rawKiB), kib(b.gzipKiB)]);
  return [
    '## 4. Bundle (`wrangler deploy --dry-run`)',
    '',
    `wrangler: "${b.wrangler}". Per file (gzip -9 here); the static site is uploaded separately as assets.`,
    '',
    table(['file', 'raw', 'gzip'], rows),
  ].join('\n');
}

export function errorsSection(r: Results): string {
  const e = Object.entries(r.errors);
  if (e.length === 0) return '';
  return ['## Parts that failed', '', ...e.map(([k, v]) => `- ${k}: ${v.split('\n').slice(0, 3).join(' / ')}`)].join('\n');
}

export function profileSection(rows: ProfileRow[]): string {
  const keys = [...new Set(rows.map((x) => `${x.model}|${x.batch}`))];
  const out: Cell[][] = keys.map((k) => {
    const [model, batch] = k.split('|') as [string, string];
    const fwd = rows.find((x) => x.model === model && String(x.batch) === batch && x.program === 'forward');
    const grad = rows.find((x) => x.model === model && String(x.batch) === batch && x.program === 'gradient');
    const top = (grad?.nodes ?? []).slice(0, 8).map((n) => `${n.op} ${n.shape} ${fixed(n.us)}`).join('; ');
    return [model, Number(batch), fwd ? us(fwd.totalUs) : '–', grad ? us(grad.totalUs) : '–', ratio(grad?.totalUs, fwd?.totalUs), top];
  });
  const ops: Cell[][] = keys.flatMap((k) => {
    const [model, batch] = k.split('|') as [string, string];
    const fwd = rows.find((x) => x.model === model && String(x.batch) === batch && x.program === 'forward');
    const grad = rows.find((x) => x.model === model && String(x.batch) === batch && x.program === 'gradient');
    const names = [...new Set([...Object.keys(grad?.byOp ?? {}), ...Object.keys(fwd?.byOp ?? {})])]
      .sort((a, b) => (grad?.byOp[b] ?? 0) - (grad?.byOp[a] ?? 0))
      .filter((op) => Math.max(grad?.byOp[op] ?? 0, fwd?.byOp[op] ?? 0) >= 0.05 * (grad?.totalUs ?? 0));
    return names.map((op) => [model, Number(batch), op, fwd?.byOp[op] === undefined ? '–' : us(fwd.byOp[op]), grad?.byOp[op] === undefined ? '–' : us(grad.byOp[op]),
      grad?.byOp[op] === undefined ? '–' : `${fixed((100 * grad.byOp[op]) / grad.totalUs)}%`]);
  });
  return [
    '## onnxruntime profile (opt-in: `--only profile`)',
    '',
    'onnxruntime\'s own profiler, one `session.run` of the original model and of its gradient program on test images; per node the median over the runs after five warm-up runs, summed. The profiler adds a few µs per node.',
    '',
    table(['model', 'batch', 'forward', 'gradient', 'gradient ÷ forward', 'slowest nodes of the gradient program (op, output shape, µs)'], out),
    '',
    'By op type (ops with at least 5% of the gradient program\'s time on either side; the forward runs fused kernels: FusedConv = Conv + Relu, FusedGemm = MatMul + Add + Relu):',
    '',
    table(['model', 'batch', 'op', 'forward', 'gradient', 'share of gradient'], ops),
  ].join('\n');
}
