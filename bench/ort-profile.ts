/**
 * Opt-in part (`--only profile`): where the time goes inside one `session.run`, from onnxruntime's own profiler
 * (session option enableProfiling), for the original model and its gradient program, on test images (realistic
 * inputs matter: max-pool and ReLU masks are branchy). onnxruntime-web prints the profile (Chrome trace events)
 * to the process's stdout when the profiling ends; it is captured here; per node, the median over the runs.
 * The profiler adds a few microseconds per node, so small graphs look slower than they are.
 */
import fs from 'node:fs';
import { compileGradient, encodeProgram } from '../functions/compiler/index.js';
import { loadOrt } from '../functions/hosts/node/ort.js';
import type { OrtSession } from '../functions/engine/ort-types.js';
import { builtinModel, testImage, type BuiltinId } from './models.js';
import { median } from './stats.js';

export interface ProfileNode {
  node: string;
  op: string;
  /** output shape of the node */
  shape: string;
  /** microseconds per run */
  us: number;
}

export interface ProfileRow {
  model: BuiltinId;
  batch: number;
  program: 'forward' | 'gradient';
  /** sum of the node times per run, microseconds */
  totalUs: number;
  nodes: ProfileNode[];
  /** microseconds per run by op type */
  byOp: Record<string, number>;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; output_type_shape?: Record<string, number[]>[] };
}

/** Runs `fn` with everything written to stdout/stderr (console, process.stdout, fs.writeSync) captured. */
async function captureOutput(fn: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const text = (b: unknown, length?: number) =>
    typeof b === 'string' ? b : b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, length ?? b.byteLength).toString() : String(b);
  const { writeSync } = fs;
  const stdoutWrite = process.stdout.write;
  const log = console.log;
  const patchedWriteSync = (fd: number, b: unknown, ...rest: unknown[]): number => {
    if (fd === 1 || fd === 2) {
      const length = typeof rest[1] === 'number' ? rest[1] : undefined;
      chunks.push(text(b, length));
      return length ?? (typeof b === 'string' ? Buffer.byteLength(b) : (b as Uint8Array).byteLength);
    }
    return (writeSync as (...a: unknown[]) => number)(fd, b, ...rest);
  };
  (fs as { writeSync: unknown }).writeSync = patchedWriteSync;
  process.stdout.write = ((b: unknown) => (chunks.push(text(b)), true)) as typeof process.stdout.write;
  console.log = (...a: unknown[]) => void chunks.push(`${a.map(String).join(' ')}\n`);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    (fs as { writeSync: unknown }).writeSync = writeSync;
    process.stdout.write = stdoutWrite;
    console.log = log;
  }
  return chunks.join('');
}

function parseEvents(output: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of output.split('\n')) {
    const t = line.trim().replace(/,$/, '');
    if (!t.startsWith('{') || !t.includes('"Node"')) continue;
    try {
      events.push(JSON.parse(t) as TraceEvent);
    } catch {
      // not a complete event line
    }
  }
  return events;
}

const WARMUP = 5;

async function profileSession(session: OrtSession, feeds: Parameters<OrtSession['run']>[0], runs: number): Promise<Omit<ProfileRow, 'model' | 'batch' | 'program'>> {
  for (let i = 0; i < WARMUP + runs; i++) await session.run(feeds);
  const output = await captureOutput(() => session.endProfiling());
  // per node, its time in every run; the first WARMUP runs are dropped, the median of the rest kept
  const perNode = new Map<string, ProfileNode & { durations: number[] }>();
  for (const e of parseEvents(output)) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    const shape = Object.values(e.args?.output_type_shape?.[0] ?? {})[0]?.join('x') ?? '';
    const n = perNode.get(node) ?? { node, op: e.args?.op_name ?? '?', shape, us: 0, durations: [] };
    n.durations.push(e.dur ?? 0);
    perNode.set(node, n);
  }
  const nodes: ProfileNode[] = [...perNode.values()]
    .map(({ durations, ...n }) => ({ ...n, us: median(durations.slice(WARMUP)) }))
    .sort((a, b) => b.us - a.us);
  const byOp: Record<string, number> = {};
  for (const n of nodes) byOp[n.op] = (byOp[n.op] ?? 0) + n.us;
  return { totalUs: nodes.reduce((a, n) => a + n.us, 0), nodes, byOp };
}

export async function ortProfile(models: readonly BuiltinId[], batches: readonly number[], runs: number): Promise<ProfileRow[]> {
  const ort = await loadOrt();
  const rows: ProfileRow[] = [];
  for (const id of models) {
    const m = builtinModel(id);
    const program = compileGradient(m.bytes, { input: m.input!, output: m.output! });
    for (const batch of batches) {
      const x = new Float32Array(batch * 784);
      for (let s = 0; s < batch; s++) x.set(testImage(s).pixels, s * 784);
      const w = new Float32Array(batch * program.units);
      for (let s = 0; s < batch; s++) w[s * program.units + (s % program.units)] = 1;
      const input = new ort.Tensor('float32', x, [batch, 28, 28]);
      const options = { logSeverityLevel: 3 as const, graphOptimizationLevel: 'all' as const, enableProfiling: true };
      for (const kind of ['forward', 'gradient'] as const) {
        const session = await ort.InferenceSession.create(kind === 'forward' ? m.bytes : encodeProgram(program), options);
        try {
          const feeds = kind === 'forward'
            ? { [program.input.name]: input }
            : { [program.input.name]: input, [program.weights]: new ort.Tensor('float32', w, [batch, program.units]) };
          rows.push({ model: id, batch, program: kind, ...(await profileSession(session, feeds, runs)) });
        } finally {
          await session.release();
        }
      }
    }
  }
  return rows;
}
