/**
 * Symbolic shapes. A dimension is a number, a named symbol (the batch size "N" of a dynamic-batch model), or
 * null when nothing is known. The compiler needs concrete spatial sizes (convolution, pooling, slicing) and
 * ranks everywhere; the batch dimension may stay symbolic.
 */
import type { Dim } from '../onnx/model.js';
import { RuleError } from './errors.js';

export type { Dim };
export type Shape = Dim[];

export function fmt(shape: readonly Dim[] | null | undefined): string {
  if (!shape) return '[?]';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Normalizes a possibly negative axis for a tensor of the given rank (ONNX: axis in [-r, r-1]). */
export function axis(a: number, rank: number, what = 'axis'): number {
  const n = a < 0 ? a + rank : a;
  if (n < 0 || n >= rank) throw new RuleError(`${what} ${a} is out of range for a tensor of rank ${rank}`);
  return n;
}

/** NumPy-style broadcasting of two shapes (ONNX "multidirectional broadcasting"). */
export function broadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === y) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') {
      throw new RuleError(`shapes ${fmt(a)} and ${fmt(b)} do not broadcast`);
    } else if (typeof x === 'number') out.push(x);
    else if (typeof y === 'number') out.push(y);
    else out.push(null);
  }
  return out;
}

/** A dimension that must be a number for the rule at hand. */
export function known(d: Dim | undefined, what: string): number {
  if (typeof d !== 'number') throw new RuleError(`${what} must be known when the model is compiled (it is ${d ?? 'unknown'})`);
  return d;
}

export function allKnown(shape: readonly Dim[], what: string): number[] {
  return shape.map((d, i) => known(d, `${what} dimension ${i}`));
}

/** Product of dimensions split into a numeric factor and the list of symbols (null if any dim is unknown). */
function factor(dims: readonly Dim[]): { n: number; syms: string[] } | null {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (d === null) return null;
    if (typeof d === 'number') n *= d;
    else syms.push(d);
  }
  return { n, syms };
}

/** Solves `numerator = denominator * x` for one dimension x (Reshape's -1), symbol-aware. */
export function quotient(numerator: readonly Dim[], denominator: readonly Dim[]): Dim {
  const a = factor(numerator);
  const b = factor(denominator);
  if (!a || !b) return null;
  const syms = [...a.syms];
  for (const s of b.syms) {
    const i = syms.indexOf(s);
    if (i < 0) return null;
    syms.splice(i, 1);
  }
  if (b.n === 0 || a.n % b.n !== 0) return null;
  const n = a.n / b.n;
  if (syms.length === 0) return n;
  if (syms.length === 1 && n === 1) return syms[0]!;
  return null;
}

export function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  return a !== null && a !== undefined && a === b;
}
