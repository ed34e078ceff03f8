/**
 * Grad-CAM's programs: the gradient of a class score with respect to a feature map (a named intermediate tensor,
 * compiler `wrt`), with the map's values, instead of the input's gradient. Kept per isolate (least recently used
 * released beyond a count and a total of bytes, bounded-map.ts) and in the blob store (R2) so a cold isolate does not compile again, like the
 * input-gradient programs of programs.ts.
 */
import { ModelError, compileGradient, encodeProgram, lastConvolution, programMeta, type ProgramMeta } from '../compiler/index.js';
import { createRunner, runnerOutputs, type GradientRunner, type RunnerOptions } from '../engine/runner.js';
import type { Ort } from '../engine/ort-types.js';
import { utf8, type BlobStore } from '../registry/store.js';
import type { ModelRecord } from '../registry/types.js';
import { BoundedMap, type MapLimits } from './bounded-map.js';
import { keptRunner, type KeptRunner } from './kept-runner.js';
import { sha256Hex } from './hash.js';

/** Part of the stored programs' keys: raised when the compiler emits different programs. */
const PROGRAM_FORMAT = 2;
const OPTIONS: RunnerOptions = { inputGradient: false };

/** Grad-CAM programs kept per isolate: at most 6, and 16 MiB of programs and sessions together. */
export const LAYER_PROGRAM_LIMITS: MapLimits = { count: 6, bytes: 16 * 1024 * 1024 };

export class LayerPrograms {
  private readonly entries: BoundedMap<KeptRunner>;

  constructor(private readonly loadOrt: () => Promise<Ort>, private readonly store?: BlobStore, limits: MapLimits = LAYER_PROGRAM_LIMITS) {
    this.entries = new BoundedMap(limits);
  }

  /**
   * The runner giving d target / d `layer` (null: the output of the model's last convolution with a spatial extent,
   * compiler/layers.ts). A model without one, or a `layer` that is not a tensor of the graph, is a ModelError.
   */
  runner(record: ModelRecord, target: string, layer: string | null): Promise<GradientRunner> {
    return this.entries.get(`${record.content ?? record.info.id}:${record.info.sha256}:${target}:${layer ?? ''}`, () => this.build(record, target, layer));
  }

  private async build(record: ModelRecord, target: string, layer: string | null): Promise<KeptRunner> {
    const { input, output } = record.info;
    const wrt = layer ?? lastConvolution(record.bytes, { input: input.name, output: output.name });
    if (wrt === undefined) throw new ModelError('the model has no convolution with a spatial output');
    const ort = await this.loadOrt();
    const open = (bytes: Uint8Array, meta: ProgramMeta) => keptRunner(() => createRunner(ort, bytes, meta, OPTIONS), bytes, meta);
    const base = `programs/${record.content ?? record.info.id}/wrt-${(await sha256Hex(`${PROGRAM_FORMAT}:${record.info.sha256}:${target}:${wrt}`)).slice(0, 32)}`;
    if (this.store) {
      const [bytes, meta] = await Promise.all([this.store.get(`${base}.onnx`), this.store.get(`${base}.json`)]);
      if (bytes && meta) return open(bytes, JSON.parse(utf8.decode(meta)) as ProgramMeta);
    }
    const program = compileGradient(record.bytes, { target, input: input.name, output: output.name, wrt: [wrt] });
    const meta = programMeta(program);
    const bytes = encodeProgram(program, runnerOutputs(meta, OPTIONS));
    const runner = open(bytes, meta);
    // a program onnxruntime cannot open is the request's problem now, not a later one's
    await runner.exclusive(async () => undefined);
    if (this.store) {
      await this.store.put(`${base}.onnx`, bytes);
      await this.store.put(`${base}.json`, utf8.encode(JSON.stringify(meta)));
    }
    return runner;
  }
}
