/**
 * What can be maximized in a model besides its classes, and which of those units never respond. Per model (id
 * and hash): the list of differentiable intermediate tensors (compiler/tensors.ts; cheap, kept in memory) and
 * their units' activity over the shipped test images (the probe program run over them once; kept in memory and in
 * the blob store beside the compiled programs, so it is computed once per model, not per isolate).
 *
 * The probe runs within the request budget: as many of the shipped images as fit in half of it.
 */
import { compileProbe, encodeProbe, listTensors, type TensorEntry } from '../compiler/index.js';
import { forwardCpuMs, type CpuModel } from '../budget/cpu.js';
import type { Limits } from '../budget/limits.js';
import { measureActivity, type TensorActivity } from '../engine/activity.js';
import { sampleSize } from '../engine/image.js';
import type { Ort } from '../engine/ort-types.js';
import { utf8, type BlobStore } from '../registry/store.js';
import type { Samples } from '../registry/samples.js';
import { layoutOf, type ModelRecord } from '../registry/types.js';
import { sha256Hex } from './hash.js';
import { pixelsToInput, sampleImage, samplesFit } from './pixels.js';

/** Raised when the probe's output changes for the same model. */
const ACTIVITY_FORMAT = 1;
const MEMORY_ENTRIES = 8;
const CHUNK = 50;

export interface ModelActivity {
  /** how many shipped images were run (0: none, see reason) */
  images: number;
  /** why no images were run */
  reason?: string;
  tensors: TensorActivity[];
}

/** A small least-recently-used map of promises (failed ones are forgotten). */
class Recent<T> {
  private readonly entries = new Map<string, Promise<T>>();
  constructor(private readonly size: number) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.entries.get(key);
    if (p) this.entries.delete(key);
    else {
      p = make();
      p.catch(() => this.entries.delete(key));
    }
    this.entries.set(key, p);
    while (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value as string);
    return p;
  }
}

export class ActivityCache {
  private readonly lists = new Recent<TensorEntry[]>(MEMORY_ENTRIES * 4);
  private readonly activities = new Recent<ModelActivity>(MEMORY_ENTRIES);

  constructor(
    private readonly loadOrt: () => Promise<Ort>,
    private readonly samples: () => Samples | undefined,
    private readonly budget: { cpu: CpuModel; limits: Limits },
    private readonly store?: BlobStore,
  ) {}

  private options(record: ModelRecord) {
    return { input: record.info.input.name, output: record.info.output.name };
  }

  /** The tensors layer= may name, in graph order. */
  tensors(record: ModelRecord): Promise<TensorEntry[]> {
    return this.lists.get(`${record.info.id}:${record.info.sha256}`, async () => listTensors(record.bytes, this.options(record)));
  }

  /** The activity of every listed tensor's units over the shipped images. */
  activity(record: ModelRecord): Promise<ModelActivity> {
    return this.activities.get(`${record.info.id}:${record.info.sha256}`, () => this.load(record));
  }

  private async load(record: ModelRecord): Promise<ModelActivity> {
    const key = `programs/${record.content ?? record.info.id}/activity-${(await sha256Hex(`${ACTIVITY_FORMAT}:${record.info.sha256}`)).slice(0, 32)}.json`;
    const stored = await this.store?.get(key);
    if (stored) return JSON.parse(utf8.decode(stored)) as ModelActivity;
    const activity = await this.measure(record);
    await this.store?.put(key, utf8.encode(JSON.stringify(activity)));
    return activity;
  }

  private async measure(record: ModelRecord): Promise<ModelActivity> {
    const layout = layoutOf(record.info.input);
    const samples = this.samples();
    if (!samples || !samplesFit(samples, layout)) {
      const reason = samples
        ? `the shipped test images are ${samples.height}x${samples.width}; this model takes ${layout.height}x${layout.width}`
        : 'this deployment ships no test images';
      return { images: 0, reason, tensors: [] };
    }
    const probe = compileProbe(record.bytes, this.options(record));
    const { cpu, limits } = this.budget;
    let images = samples.count;
    while (images > CHUNK && forwardCpuMs(cpu, probe.forwardFlops, images, CHUNK) > limits.cpuMs / 2) images = Math.floor(images / 2);
    const grid = { min: record.info.input.min, max: record.info.input.max };
    const size = sampleSize(layout);
    const fill = (i: number, into: Float32Array, offset: number) => into.set(pixelsToInput(sampleImage(samples, i, layout), layout, grid), offset);
    if (size !== probe.input.shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1)) {
      return { images: 0, reason: 'the model input does not hold one image per row', tensors: [] };
    }
    const activity = await measureActivity(await this.loadOrt(), encodeProbe(probe), probe, images, fill, CHUNK);
    return { images, tensors: activity.tensors };
  }
}
