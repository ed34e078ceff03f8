/**
 * Compiled gradient programs. Compiling a model and creating its onnxruntime session costs milliseconds, so a
 * runner is kept per isolate (keyed by model, model hash and target; the least recently used are released beyond
 * a small count, isolates have 128 MB), and compiled programs are kept in the blob store (R2) so a cold isolate
 * does not compile again. With a prior, the program is the composition G -> classifier (compiler/prior.ts),
 * keyed by the prior's hash too, and the prior's generator gets a session of its own (decoder).
 */
import { compileGradient, encodeProgram, programMeta, type ProgramMeta } from '../compiler/index.js';
import { createDecoder, type Decoder } from '../engine/decoder.js';
import { createRunner, runnerOutputs, type GradientRunner } from '../engine/runner.js';
import type { PriorRecord } from '../registry/priors.js';
import { utf8, type BlobStore } from '../registry/store.js';
import { sha256Hex } from './hash.js';
import type { ModelRecord } from '../registry/types.js';
import type { Ort } from '../engine/ort-types.js';

const MAX_PROGRAMS = 12;
/** Part of the stored programs' keys: raised when the compiler emits different (e.g. faster) programs. */
const PROGRAM_FORMAT = 2;

export class ProgramCache {
  private readonly entries = new Map<string, Promise<GradientRunner>>();

  constructor(private readonly loadOrt: () => Promise<Ort>, private readonly store?: BlobStore) {}

  /**
   * The runner for `record` maximizing `target` ('logit' | 'logprob' | 'prob' | a tensor name); with `prior`,
   * of the composition, whose input is the prior's code z.
   */
  runner(record: ModelRecord, target: string, prior?: PriorRecord): Promise<GradientRunner> {
    const key = `${record.info.id}:${record.info.sha256}:${target}${prior ? `:prior=${prior.info.id}:${prior.info.sha256}` : ''}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = this.build(record, target, prior);
    entry.catch(() => this.entries.delete(key));
    this.entries.set(key, entry);
    while (this.entries.size > MAX_PROGRAMS) {
      const oldest = this.entries.keys().next().value as string;
      const evicted = this.entries.get(oldest);
      this.entries.delete(oldest);
      evicted?.then((r) => r.release()).catch(() => {});
    }
    return entry;
  }

  private async key(record: ModelRecord, target: string, prior?: PriorRecord): Promise<string> {
    const composed = prior ? `:prior:${prior.info.sha256}` : '';
    return `programs/${record.info.id}/${(await sha256Hex(`${PROGRAM_FORMAT}:${record.info.sha256}:${target}${composed}`)).slice(0, 32)}`;
  }

  private readonly decoders = new Map<string, Promise<Decoder>>();

  /** The generator of a prior as a session (one per prior and isolate). */
  decoder(prior: PriorRecord): Promise<Decoder> {
    const key = `${prior.info.id}:${prior.info.sha256}`;
    let d = this.decoders.get(key);
    if (!d) {
      const { input, output } = prior.info;
      d = this.loadOrt().then((ort) => createDecoder(ort, prior.bytes, {
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

  private async build(record: ModelRecord, target: string, prior?: PriorRecord): Promise<GradientRunner> {
    const ort = await this.loadOrt();
    const base = await this.key(record, target, prior);
    if (this.store) {
      const [bytes, meta] = await Promise.all([this.store.get(`${base}.onnx`), this.store.get(`${base}.json`)]);
      if (bytes && meta) return createRunner(ort, bytes, JSON.parse(utf8.decode(meta)) as ProgramMeta);
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
    const bytes = encodeProgram(program, runnerOutputs(meta));
    const runner = await createRunner(ort, bytes, meta);
    await this.save(record, target, bytes, meta, prior);
    return runner;
  }
}
