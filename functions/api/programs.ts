/**
 * Compiled gradient programs. Compiling a model and creating its onnxruntime session costs milliseconds, so a
 * runner is kept per isolate (keyed by model, model hash and target; the least recently used are released beyond
 * a small count, isolates have 128 MB), and compiled programs are kept in the blob store (R2) so a cold isolate
 * does not compile again.
 */
import { compileGradient, encodeProgram, programMeta, type ProgramMeta } from '../compiler/index.js';
import { createRunner, runnerOutputs, type GradientRunner } from '../engine/runner.js';
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

  /** The runner for `record` maximizing `target` ('logit' | 'logprob' | 'prob' | a tensor name). */
  runner(record: ModelRecord, target: string): Promise<GradientRunner> {
    const key = `${record.info.id}:${record.info.sha256}:${target}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = this.build(record, target);
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

  private async key(record: ModelRecord, target: string): Promise<string> {
    return `programs/${record.info.id}/${(await sha256Hex(`${PROGRAM_FORMAT}:${record.info.sha256}:${target}`)).slice(0, 32)}`;
  }

  /** Keeps a program compiled elsewhere (at upload) in the store. */
  async save(record: ModelRecord, target: string, bytes: Uint8Array, meta: ProgramMeta): Promise<void> {
    if (!this.store) return;
    const base = await this.key(record, target);
    await this.store.put(`${base}.onnx`, bytes);
    await this.store.put(`${base}.json`, utf8.encode(JSON.stringify(meta)));
  }

  private async build(record: ModelRecord, target: string): Promise<GradientRunner> {
    const ort = await this.loadOrt();
    const base = await this.key(record, target);
    if (this.store) {
      const [bytes, meta] = await Promise.all([this.store.get(`${base}.onnx`), this.store.get(`${base}.json`)]);
      if (bytes && meta) return createRunner(ort, bytes, JSON.parse(utf8.decode(meta)) as ProgramMeta);
    }
    const program = compileGradient(record.bytes, { target, input: record.info.input.name, output: record.info.output.name });
    const meta = programMeta(program);
    const bytes = encodeProgram(program, runnerOutputs(meta));
    const runner = await createRunner(ort, bytes, meta);
    await this.save(record, target, bytes, meta);
    return runner;
  }
}
