/**
 * Compiled gradient programs and the engine that runs each: Ascent's WebAssembly kernel when it covers every op
 * of the program (functions/kernel/), onnxruntime otherwise. The decision is per program and visible in
 * /api/v1/models ("engine"). onnxruntime is instantiated only when a request needs it.
 *
 * Programs are kept per isolate (keyed by model content and target; the least recently used are released beyond
 * a count and a total of bytes, bounded-map.ts: isolates have 128 MB); compiled programs are kept in the blob
 * store (R2) so a cold isolate does not compile again, and the built-in models' class programs come precompiled with the host. With a
 * prior, the program is the composition G -> classifier (compiler/prior.ts), keyed by the prior's hash too, and
 * the prior's generator gets a session of its own (decoder).
 */
import { TARGET_OPSET, compileGradient, encodeProgram, programGraph, programMeta, type ProgramMeta } from '../compiler/index.js';
import { ascend, type AscentResult, type AscentSpec } from '../engine/ascent.js';
import { createDecoder, type Decoder } from '../engine/decoder.js';
import { createRunner, runnerOutputs, type GradientRunner } from '../engine/runner.js';
import { KernelProgram, type InstantiateKernel } from '../kernel/executor.js';
import { Unsupported } from '../kernel/planner.js';
import type { PackedProgram } from '../kernel/pack.js';
import { decodeModel, encodeModel, type OnnxGraph } from '../onnx/model.js';
import type { PriorRecord } from '../registry/priors.js';
import { utf8, type BlobStore } from '../registry/store.js';
import { BoundedMap, type MapLimits } from './bounded-map.js';
import { keptRunner } from './kept-runner.js';
import { sha256Hex } from './hash.js';
import type { EngineName, ModelRecord } from '../registry/types.js';
import type { Ort } from '../engine/ort-types.js';

/** Part of the stored programs' keys: raised when the compiler emits different (e.g. faster) programs. */
const PROGRAM_FORMAT = 3;

export type { EngineName };

/** A program ready to run: one evaluation (the runner contract) or a whole ascent, on its engine. */
export interface Program extends GradientRunner {
  engine: EngineName;
  /** why the kernel does not run this program (engine onnxruntime) */
  fallback?: string;
  /** the whole ascent, with the program to itself */
  ascend(spec: AscentSpec): Promise<AscentResult>;
  /** bytes it holds now (weights, onnxruntime's session, the kernel's memory) */
  bytes(): number;
}

export interface Engines {
  loadOrt: () => Promise<Ort>;
  /** absent: every program runs on onnxruntime */
  instantiateKernel?: InstantiateKernel;
  /** the built-in models' precompiled class programs */
  builtinProgram?: (id: string) => PackedProgram | undefined | Promise<PackedProgram | undefined>;
}

/**
 * A kernel program keeps its instance's memory, grown to the largest batch it ran (WebAssembly memory never
 * shrinks): after a computation that left more than KEEP_KERNEL_BYTES, the instance is dropped (garbage once no
 * request holds it) and the next computation gets a fresh one, so one request with many restarts does not hold
 * its memory for the isolate's life.
 */
const KEEP_KERNEL_BYTES = 8 * 1024 * 1024;

function kernelProgram(create: () => Promise<KernelProgram>, first: KernelProgram): Program {
  let k: KernelProgram | undefined = first;
  let queue: Promise<unknown> = Promise.resolve();
  // one computation at a time, on the current instance (a fresh one after a large computation)
  const exclusive = <T>(work: (k: KernelProgram) => Promise<T>): Promise<T> => {
    const turn = queue.then(async () => {
      const on = (k ??= await create());
      try {
        return await on.exclusive(() => work(on));
      } finally {
        if (on.memoryBytes > KEEP_KERNEL_BYTES && k === on) k = undefined;
      }
    });
    queue = turn.catch(() => undefined);
    return turn;
  };
  const program: Program = {
    engine: 'kernel',
    meta: first.meta,
    sampleSize: first.sampleSize,
    classes: first.classes,
    fixedBatch: typeof first.meta.input.shape[0] === 'number' ? first.meta.input.shape[0] : null,
    // inside `exclusive` (the caller holds the program): the instance of that computation
    run: async (x, n, w) => (k ??= await create()).evaluate(x, n, w),
    exclusive: (work) => exclusive(() => work()),
    // pixel space: the whole ascent in the kernel; through a prior: the engine's loop, one kernel evaluation a step
    ascend: (spec) => exclusive((on) => (spec.latent ? ascend(program, spec) : on.ascend(spec))),
    release: async () => {
      k = undefined;
    },
    bytes: () => first.meta.memory.weightBytes + (k?.memoryBytes ?? 0),
  };
  return program;
}

/** onnxruntime's runner, opened on first use, released when evicted and no request uses it (kept-runner.ts) */
function ortProgram(loadOrt: () => Promise<Ort>, bytes: Uint8Array, meta: ProgramMeta, fallback: string): Program {
  const kept = keptRunner(() => loadOrt().then((ort) => createRunner(ort, bytes, meta)), bytes, meta);
  return {
    ...kept,
    engine: 'onnxruntime',
    fallback,
    ascend: (spec) => kept.use((r) => r.exclusive(() => ascend(r, spec))),
  };
}

/** Programs kept per isolate: at most 12, and at most 24 MiB of weights, sessions and kernel memory together. */
export const PROGRAM_LIMITS: MapLimits = { count: 12, bytes: 24 * 1024 * 1024 };

export class ProgramCache {
  private readonly entries: BoundedMap<Program>;

  constructor(private readonly engines: Engines, private readonly store?: BlobStore, limits: MapLimits = PROGRAM_LIMITS) {
    this.entries = new BoundedMap(limits);
  }

  /**
   * The program for `record` maximizing `target` ('logit' | 'logprob' | 'prob' | a tensor name); with `prior`,
   * of the composition, whose input is the prior's code z. `engine: 'onnxruntime'` asks for onnxruntime whatever
   * the model's engine.
   */
  runner(record: ModelRecord, target: string, prior?: PriorRecord, engine?: EngineName): Promise<Program> {
    const forced = engine === 'onnxruntime' && record.info.engine === 'kernel';
    const key = `${record.content ?? record.info.id}:${record.info.sha256}:${target}${prior ? `:prior=${prior.info.id}:${prior.info.sha256}` : ''}${forced ? ':onnxruntime' : ''}`;
    return this.entries.get(key, () => this.build(record, target, prior, forced));
  }

  /** Bytes the kept programs hold (for the load report and tests). */
  bytes(): number {
    return this.entries.bytes();
  }

  /** Evicts beyond the limits after a computation may have grown a program's memory. */
  settle(): void {
    this.entries.evict();
  }

  private async key(record: ModelRecord, target: string, prior?: PriorRecord): Promise<string> {
    const composed = prior ? `:prior:${prior.info.sha256}` : '';
    return `programs/${record.content ?? record.info.id}/${(await sha256Hex(`${PROGRAM_FORMAT}:${record.info.sha256}:${target}${composed}`)).slice(0, 32)}`;
  }

  private readonly decoders = new Map<string, Promise<Decoder>>();

  /** The generator of a prior as a session (one per prior and isolate). */
  decoder(prior: PriorRecord): Promise<Decoder> {
    const key = `${prior.info.id}:${prior.info.sha256}`;
    let d = this.decoders.get(key);
    if (!d) {
      const { input, output } = prior.info;
      d = this.engines.loadOrt().then((ort) => createDecoder(ort, prior.bytes, {
        input: input.name, output: output.name, latent: input.latent, min: output.min, max: output.max,
      }));
      d.catch(() => this.decoders.delete(key));
      this.decoders.set(key, d);
    }
    return d;
  }

  /** Keeps a program compiled elsewhere (at upload) in the store. */
  async save(record: ModelRecord, target: string, bytes: Uint8Array, meta: ProgramMeta, prior?: PriorRecord): Promise<void> {
    if (!this.store) return;
    const base = await this.key(record, target, prior);
    await this.store.put(`${base}.onnx`, bytes);
    await this.store.put(`${base}.json`, utf8.encode(JSON.stringify(meta)));
  }

  /** The program's graph and metadata: precompiled (built-ins), stored (R2) or compiled now (and stored). */
  private async load(record: ModelRecord, target: string, prior?: PriorRecord): Promise<{ graph: OnnxGraph; meta: ProgramMeta; bytes?: Uint8Array }> {
    if (record.info.source === 'builtin' && target === 'logit' && !prior) {
      const packed = await this.engines.builtinProgram?.(record.info.id);
      if (packed) return packed;
    }
    const base = this.store ? await this.key(record, target, prior) : '';
    if (this.store) {
      const [bytes, meta] = await Promise.all([this.store.get(`${base}.onnx`), this.store.get(`${base}.json`)]);
      if (bytes && meta) return { graph: decodeModel(bytes).graph, meta: JSON.parse(utf8.decode(meta)) as ProgramMeta, bytes };
    }
    const { input, output } = record.info;
    const program = compileGradient(record.bytes, {
      target, input: input.name, output: output.name,
      ...(prior ? {
        prior: {
          generator: prior.bytes, min: input.min, max: input.max,
          generatorMin: prior.info.output.min, generatorMax: prior.info.output.max,
        },
      } : {}),
    });
    const meta = programMeta(program);
    const graph = programGraph(program, runnerOutputs(meta));
    if (!this.store) return { graph, meta };
    const bytes = encodeProgram(program, runnerOutputs(meta));
    await this.save(record, target, bytes, meta, prior);
    return { graph, meta, bytes };
  }

  /**
   * The program on the model's engine (record.info.engine, decided when the model was built or uploaded): the
   * kernel, unless this target's program has an op it does not cover (or onnxruntime is asked for); onnxruntime
   * otherwise.
   */
  private async build(record: ModelRecord, target: string, prior?: PriorRecord, onOrt = false): Promise<Program> {
    const { graph, meta, bytes } = await this.load(record, target, prior);
    const ort = (why: string) => ortProgram(this.engines.loadOrt, bytes ?? encodeModel({
      irVersion: 8, opsets: new Map([['', TARGET_OPSET]]), producerName: 'ascent-gradient-compiler', producerVersion: '1', metadata: {}, graph,
    }), meta, why);
    const instantiate = this.engines.instantiateKernel;
    if (!instantiate) return ort('this host has no kernel');
    if (record.info.engine !== 'kernel') return ort('the model runs on onnxruntime');
    if (onOrt) return ort('onnxruntime was asked for');
    try {
      const create = () => KernelProgram.create(instantiate, graph, meta);
      return kernelProgram(create, await create());
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      return ort(e.message);
    }
  }
}
