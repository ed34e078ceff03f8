/**
 * `npm run bench`: Ascent's speed against its peers, measured in one run and reported as ratios (the machines
 * are shared and noisy). Prints Markdown tables and writes them to bench/results/latest.md.
 *
 *   npm run bench                              # everything (about 5-10 minutes)
 *   npm run bench -- --quick                   # fewer repetitions
 *   npm run bench -- --only maximize           # parts: gradient, maximize, cost, bundle (comma-separated), and
 *                                              # profile (opt-in: onnxruntime's profiler per node), budget (opt-in:
 *                                              # calibrates the CPU budget, functions/budget/cpu.ts)
 *   npm run bench -- --only maximize --peers kernel,workerd  # maximize peers: workerd, kernel (Node), node
 *                                              # (the onnxruntime engine in Node), tfjs, torch, floor
 *   npm run bench -- --no-cold                 # no wrangler restarts for first-request measurements
 *   npm run bench -- --out FILE                # where to write the report
 *
 * A benchmark, not a test: targets are printed next to the measurements, never asserted.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { budgetBench, budgetSection } from './budget.js';
import { bundle } from './bundle.js';
import { floor } from './floor.js';
import { gradientVsForward } from './gradient-vs-forward.js';
import { machine } from './machine.js';
import { ortProfile } from './ort-profile.js';
import { BUILTIN_IDS, ROOT, type BuiltinId } from './models.js';
import { CLASS, LR, STEPS, nodeEngine } from './node-engine.js';
import { kernelEngine } from './kernel-engine.js';
import { referenceLogits, tfjsPeer, torchPeer, type Reference } from './peers.js';
import {
  attributeSection, bundleSection, costSection, errorsSection, floorSection, gradientSection, header, kernelSection, maximizeSection, profileSection,
  priorSection, targetsSection, timeSection, workerdSection, type Results,
} from './report.js';
import { workerdBench, type WorkerdConfig } from './workerd.js';

const PARTS = ['gradient', 'maximize', 'cost', 'bundle', 'profile', 'budget'] as const;
const PEERS = ['workerd', 'kernel', 'node', 'tfjs', 'torch', 'floor'] as const;
type Part = (typeof PARTS)[number];
type Peer = (typeof PEERS)[number];
/** parts run when --only is not given (profile and budget are opt-in) */
const DEFAULT_PARTS: Part[] = ['gradient', 'maximize', 'cost', 'bundle'];

const usage = `usage: npm run bench -- [--quick] [--only ${PARTS.join(',')}] [--peers ${PEERS.join(',')}] [--no-cold] [--out FILE]`;

function list<T extends string>(values: string[] | undefined, allowed: readonly T[], what: string, defaults: readonly T[] = allowed): T[] {
  if (!values || values.length === 0) return [...defaults];
  const items = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const bad = items.filter((v) => !(allowed as readonly string[]).includes(v));
  if (bad.length) throw new Error(`unknown ${what}: ${bad.join(', ')} (known: ${allowed.join(', ')})\n${usage}`);
  return items as T[];
}

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

async function part<T>(r: Results, name: string, work: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    return await work();
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    r.errors[name] = message;
    log(`${name} failed: ${message.split('\n')[0]}`);
    return undefined;
  } finally {
    r.seconds[name] = (performance.now() - t0) / 1000;
    log(`${name}: ${r.seconds[name]!.toFixed(0)} s`);
  }
}

function ensureSite(): void {
  if (existsSync(`${ROOT}site/dist/index.html`)) return;
  log('site/dist is missing: npm run build');
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } });
  if (b.status !== 0) throw new Error('npm run build failed');
}

async function main(): Promise<void> {
  // on an interrupt, exit through the 'exit' handlers: they stop wrangler dev and the peers' child processes
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      peers: { type: 'string', multiple: true },
      'no-cold': { type: 'boolean', default: false },
      out: { type: 'string', default: `${ROOT}bench/results/latest.md` },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const parts = new Set<Part>(list(values.only, PARTS, 'part', DEFAULT_PARTS));
  const peers = new Set<Peer>(list(values.peers, PEERS, 'peer'));
  const quick = values.quick ?? false;
  const started = performance.now();
  const r: Results = { machine: machine(), quick, tfjs: {}, errors: {}, seconds: {} };
  const sections: string[] = [];
  const emit = (s: string) => {
    if (s) sections.push(s);
  };
  try {
    await measure(r, parts, peers, quick, !values['no-cold'], emit);
  } finally {
    // the report, also when a part failed or the run was cut short: header last, it names the peers' versions
    const total = (performance.now() - started) / 1000;
    emit(`---\nRun time ${total.toFixed(0)} s (${Object.entries(r.seconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')}).`);
    const text = `${[header(r), ...sections].join('\n\n')}\n`;
    console.log(text);
    mkdirSync(dirname(values.out!), { recursive: true });
    writeFileSync(values.out!, text);
    log(`wrote ${values.out}`);
  }
}

async function measure(r: Results, parts: Set<Part>, peers: Set<Peer>, quick: boolean, cold: boolean, emit: (s: string) => void): Promise<void> {

  if (parts.has('bundle')) {
    r.bundle = await part(r, 'bundle', () => bundle());
  }

  if (parts.has('budget')) {
    const b = await part(r, 'budget', () => {
      ensureSite();
      return budgetBench({ quick, log });
    });
    if (b) emit(budgetSection(b));
  }

  if (parts.has('gradient')) {
    r.gradient = await part(r, 'gradient vs forward', () => gradientVsForward({ quick, log }));
    if (r.gradient) emit(gradientSection(r.gradient));
  }

  const models: BuiltinId[] = [...BUILTIN_IDS];
  const batches = [1, 10] as const;
  if (parts.has('maximize')) {
    if (peers.has('kernel')) {
      r.kernel = [];
      for (const model of models) {
        for (const batch of batches) {
          log(`Ascent (kernel) in Node: ${model} batch ${batch}`);
          const row = await part(r, `kernel ${model} b${batch}`, () => kernelEngine(model, batch, { quick }));
          if (row) r.kernel.push(row);
        }
      }
    }
    if (peers.has('node')) {
      r.node = [];
      for (const model of models) {
        for (const batch of batches) {
          log(`onnxruntime engine in Node: ${model} batch ${batch}`);
          const row = await part(r, `node ${model} b${batch}`, () => nodeEngine(model, batch, { quick }));
          if (row) r.node.push(row);
        }
      }
    }
    if (peers.has('workerd')) {
      const configs: WorkerdConfig[] = [
        ...models.flatMap((model) => batches.map((batch) => ({ model, batch }))),
        // the default request through the Fashion-MNIST prior, against the default pixel request
        { model: 'fashion-mlp', batch: 1, prior: 'fashion' },
        // the default Integrated Gradients request, against the default maximize request of fashion-cnn
        { model: 'fashion-cnn', batch: 1, attribute: 'integrated' },
      ];
      r.workerd = await part(r, 'workerd', () => {
        ensureSite();
        return workerdBench(configs, { quick, cold, log });
      });
    }
    let reference: Record<string, Reference> = {};
    if (peers.has('tfjs') || peers.has('torch')) {
      reference = Object.fromEntries(await Promise.all(models.map(async (m) => [m, await referenceLogits(m)] as const)));
    }
    if (peers.has('tfjs')) {
      for (const backend of ['wasm', 'cpu'] as const) {
        log(`tfjs ${backend}`);
        const result = await part(r, `tfjs ${backend}`, () =>
          tfjsPeer({ backend, models, batches: [...batches], quick, limitS: 60, reference }, 15 * 60_000));
        if (result) r.tfjs[backend] = result;
      }
    }
    if (peers.has('torch')) {
      log('PyTorch');
      r.torch = await part(r, 'PyTorch', () => torchPeer({ models, batches: [...batches], quick, steps: STEPS, lr: LR, cls: CLASS, reference }, 10 * 60_000));
    }
    if (peers.has('floor')) {
      log('floor');
      r.floor = await part(r, 'floor', () => floor(models, [...batches]));
    }
    emit(maximizeSection(r));
    emit(targetsSection(r));
    emit(timeSection(r));
    if (r.workerd) emit(workerdSection(r.workerd));
    if (r.workerd) emit(priorSection(r.workerd));
    emit(kernelSection(r));
    if (r.workerd) emit(attributeSection(r.workerd));
    if (r.floor) emit(floorSection(r.floor));
    emit(peerNotes(r));
  }

  if (parts.has('cost')) {
    if (!r.workerd) {
      r.workerd = await part(r, 'workerd (for the cost)', () => {
        ensureSite();
        return workerdBench([{ model: 'fashion-mlp', batch: 1 }], { quick, cold, log });
      });
    }
    emit(costSection(r));
  }

  if (parts.has('profile')) {
    r.profile = await part(r, 'profile', () => ortProfile(BUILTIN_IDS, [1, 10], quick ? 20 : 60));
    if (r.profile) emit(profileSection(r.profile));
  }

  if (r.bundle) emit(bundleSection(r.bundle));
  emit(errorsSection(r));
}

/** How each peer was run and checked. */
function peerNotes(r: Results): string {
  if (!r.kernel?.length && !r.node?.length && !r.tfjs.wasm && !r.tfjs.cpu && !r.torch) return '';
  const lines = ['### How the peers were run', ''];
  if (r.kernel?.length) lines.push('- Ascent, Node: the kernel (`KernelProgram.ascend` on the built-in model\'s precompiled program: one WebAssembly call per request), process.cpuUsage around it.');
  if (r.node?.length) lines.push(`- onnxruntime engine, Node: \`createRunner\` + \`ascend\` with a warm runner (what runs programs the kernel does not cover), process.cpuUsage around \`ascend\` (all threads), onnxruntime-web ${r.machine.versions['onnxruntime-web']} with numThreads 1.`);
  lines.push('- Every runtime starts from the API\'s default start images (init=normal, seed 0), batch 10 is ten restarts of class 7, and every runtime is warmed up by the same rule (requests until the CPU per request settles within 10%).');
  const tf = r.tfjs.wasm ?? r.tfjs.cpu;
  if (tf) {
    const err = tf.rows.map((x) => x.logitError).filter((v) => typeof v === 'number' && Number.isFinite(v));
    lines.push(`- tfjs ${tf.version}: the saved models (models/tfjs/<id>/model.json, custom IO handler) with the last softmax switched to linear; \`tf.grad\` of the weighted logits, \`tf.train.adam\`, \`clipByValue\` each step; wasm backend with 1 thread; max |logit - onnxruntime logit| on a test image ${err.length ? Math.max(...err).toExponential(1) : '–'}. Child process, process.cpuUsage per request.`);
  }
  if (r.torch) {
    if (r.torch.error) lines.push(`- PyTorch: ${r.torch.error}${r.torch.detail ? ` (${r.torch.detail})` : ''}.`);
    else {
      const err = r.torch.rows.map((x) => x.logitError).filter((v) => typeof v === 'number' && Number.isFinite(v));
      lines.push(`- PyTorch ${r.torch.torch} (${r.torch.threads} thread): both networks rebuilt in torch, weights from the ONNX files; max |logit - onnxruntime logit| on a test image ${err.length ? Math.max(...err).toExponential(1) : '–'} (required <= 1e-4); network parameters frozen (input gradient only); torch.optim.Adam on the input, clamp_ each step; time.process_time per request. Debian's torch uses the reference BLAS (BLAS_INFO=generic), its convolutions oneDNN.`);
    }
  }
  return lines.join('\n');
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exitCode = 1;
});
