/**
 * Compiled gradient programs, kept per isolate: compiling a model and creating its onnxruntime session costs
 * milliseconds, a request should not pay that twice. Keyed by model hash and target; least recently used
 * programs are released beyond a small count (Workers isolates have 128 MB).
 */
import { compileGradient, encodeProgram, programMeta } from '../compiler/index.js';
import { createRunner, type GradientRunner } from '../engine/runner.js';
import type { ModelRecord } from '../registry/types.js';
import type { Ort } from '../engine/ort-types.js';

const MAX_PROGRAMS = 12;

export class ProgramCache {
  private readonly entries = new Map<string, Promise<GradientRunner>>();

  constructor(private readonly loadOrt: () => Promise<Ort>) {}

  /** The runner for `record` maximizing `target` ('logit' | 'logprob' | 'prob' | a tensor name). */
  runner(record: ModelRecord, target: string): Promise<GradientRunner> {
    const key = `${record.info.sha256}:${target}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = (async () => {
      const ort = await this.loadOrt();
      const program = compileGradient(record.bytes, {
        target,
        input: record.info.input.name,
        output: record.info.output.name,
      });
      return createRunner(ort, encodeProgram(program), programMeta(program));
    })();
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
}
