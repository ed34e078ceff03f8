/**
 * The logits of every shipped test image under a model, computed once (forward passes only, a hundred images a
 * run) and kept: in the isolate's memory, and in the blob store (R2) when there is one, so a new isolate reads
 * them instead of running the model a thousand times. Keyed by the model's hash and the image set.
 */
import { compileGradient, encodeProgram, programMeta } from '../compiler/index.js';
import { createForward } from '../engine/forward.js';
import { imageLogits } from '../exemplars/scores.js';
import { layoutOf, type ModelRecord } from '../registry/types.js';
import type { Ort } from '../engine/ort-types.js';
import type { BlobStore } from '../registry/store.js';
import type { Samples } from '../registry/samples.js';

/** Part of the stored logits' keys: raised when the way they are computed changes. */
const LOGITS_FORMAT = 1;
const MAX_MODELS = 16;

export interface LogitsTable {
  logits: Float32Array;
  classes: number;
}

export class ExemplarLogits {
  private readonly entries = new Map<string, Promise<LogitsTable>>();

  constructor(private readonly loadOrt: () => Promise<Ort>, private readonly store?: BlobStore) {}

  /** `count x classes` logits of the shipped images; `charge` is called with the forward FLOPs before any run. */
  get(record: ModelRecord, samples: Samples, charge: (forwardFlops: number) => void): Promise<LogitsTable> {
    const key = `exemplars/${record.info.id}/${record.info.sha256.slice(0, 32)}-${samples.count}x${samples.height}x${samples.width}-v${LOGITS_FORMAT}.f32`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(key, record, samples, charge);
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
      while (this.entries.size > MAX_MODELS) this.entries.delete(this.entries.keys().next().value as string);
    }
    return entry;
  }

  private async load(key: string, record: ModelRecord, samples: Samples, charge: (forwardFlops: number) => void): Promise<LogitsTable> {
    const stored = await this.store?.get(key);
    if (stored && stored.byteLength >= 4) {
      const classes = new DataView(stored.buffer, stored.byteOffset).getUint32(0, true);
      const logits = new Float32Array(stored.slice(4).buffer);
      if (classes > 0 && logits.length === classes * samples.count) return { logits, classes };
    }
    const program = compileGradient(record.bytes, { target: 'logit', input: record.info.input.name, output: record.info.output.name });
    const meta = programMeta(program);
    charge(meta.forwardFlops * samples.count);
    const forward = await createForward(await this.loadOrt(), encodeProgram(program, [meta.outputs.logits]), meta);
    try {
      const info = record.info.input;
      const logits = await imageLogits(forward, samples.pixels, samples.count, layoutOf(info), { min: info.min, max: info.max });
      if (this.store) {
        const bytes = new Uint8Array(4 + logits.byteLength);
        new DataView(bytes.buffer).setUint32(0, forward.classes, true);
        bytes.set(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength), 4);
        await this.store.put(key, bytes);
      }
      return { logits, classes: forward.classes };
    } finally {
      await forward.release();
    }
  }
}
