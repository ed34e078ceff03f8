/**
 * What one model allows, from GET /api/v1/models/{id}: the intermediate tensors layer= accepts (name, op, units,
 * the units inactive on every shipped test image) and what fits the CPU budget (steps of one image, restarts of
 * the default steps). Asked once per model and page.
 */
import { getJson } from './api.ts';

export interface TensorInfo { name: string; op: string; shape: (number | string)[]; units: number; inactive?: number[] }
export interface ModelDetails {
  tensors: TensorInfo[];
  budget: { cpuMs: number; defaultRequestCpuMs: number; maxSteps: number; maxRestarts: number };
}

const known = new Map<string, Promise<ModelDetails>>();

export function modelDetails(id: string): Promise<ModelDetails> {
  let d = known.get(id);
  if (!d) {
    d = getJson<ModelDetails>(`/api/v1/models/${encodeURIComponent(id)}`);
    d.catch(() => known.delete(id));
    known.set(id, d);
  }
  return d;
}

/** "dense/Relu (Relu, 128 units)" */
export const tensorLabel = (t: TensorInfo) => `${t.name} (${t.op}, ${t.units.toLocaleString('en-US')} unit${t.units === 1 ? '' : 's'})`;

/** The hint under the unit field for a tensor: its range and the units that never responded. */
export function unitHint(t: TensorInfo | undefined): string {
  if (!t) return 'Choose a tensor first; then a unit of it (a feature-map channel is averaged).';
  const dead = t.inactive ?? [];
  const list = dead.length > 8 ? `${dead.slice(0, 8).join(', ')}, … (${dead.length} in all)` : dead.join(', ');
  return `0 to ${t.units - 1}.${dead.length ? ` Inactive on every shipped test image (their gradient is often zero): ${list}.` : ''}`;
}
