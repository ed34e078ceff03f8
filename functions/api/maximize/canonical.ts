/**
 * The canonical form of a maximize request: every parameter that determines the result, defaults filled in and
 * labels resolved to indices, sorted by name. Equivalent URLs get the same form; it names the result in caches
 * and ETags, and the model's hash and the engine's version are part of it.
 */
import type { OutputSpec } from './output.js';

/** Bumped whenever the engine's results change for the same parameters (it is part of every cache key). */
export const ENGINE_VERSION = 3;
/** The same for Ascent's WebAssembly kernel. */
export const KERNEL_VERSION = 5;

/**
 * The key's engine entry. The kernel and onnxruntime compute the same gradients to float32 rounding (1e-7
 * relative), not bit for bit (sums in another order), and an ascent amplifies such differences, so their
 * results are different results: the engine is part of the key (onnxruntime keeps its former value).
 */
export function engineEntry(engine: 'kernel' | 'onnxruntime' | undefined): [string, string | number] {
  return ['engine', engine === 'kernel' ? `kernel-${KERNEL_VERSION}` : ENGINE_VERSION];
}

export type Entries = [string, string | number][];

/** The entries of a result: those of its computation plus its output options, sorted by name. */
export function canonicalEntries(computation: Entries, o: OutputSpec): Entries {
  const entries: Entries = [
    ...computation,
    ['format', o.format],
    ...(o.format !== 'json' ? [['scale', o.scale], ['colormap', o.colormap], ['view', o.view]] as Entries : []),
    ...(o.animation ? [['frames', o.animation.frames], ['frame_spacing', o.animation.spacing], ['caption', o.animation.caption ? 1 : 0]] as Entries : []),
  ];
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The canonical query string of sorted entries. */
export function canonicalQuery(entries: Entries): string {
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

/** Entries that name the result for caches but are not request parameters (the model's hash, the engine version). */
const INTERNAL = new Set(['engine', 'sha256']);

/**
 * The request as a URL the API accepts and that gives this result: the canonical entries without the internal
 * ones, a tensor target as `layer`, and `steps` as run (the budget may have run fewer than the default).
 */
export function publicQuery(entries: Entries, steps: number, isTensorTarget: boolean): string {
  const out: Entries = [];
  for (const [k, v] of entries) {
    if (INTERNAL.has(k)) continue;
    if (k === 'target' && isTensorTarget) out.push(['layer', v]);
    else if (k === 'steps') out.push(['steps', steps]);
    else out.push([k, v]);
  }
  return canonicalQuery(out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
