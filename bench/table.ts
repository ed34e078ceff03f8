/** Markdown tables and number formats for the benchmark report. */

export type Cell = string | number | null | undefined;

/** A Markdown table; numbers are right-aligned, missing cells print as an en dash. */
export function table(headers: readonly string[], rows: readonly Cell[][]): string {
  const text = rows.map((r) => headers.map((_, i) => cell(r[i])));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === 'number' || /^[–$\d.,~<>≈x×%-]+\s*(ms|µs|us|s|x|KiB)?$/.test(String(r[i]))));
  const width = headers.map((h, i) => Math.max(3, h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

function cell(v: Cell): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : fixed(v);
  return v;
}

/** About three significant digits. */
export function fixed(value: number): string {
  const v = Number(value.toPrecision(3));
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** a / b as "3.2x", or an en dash when either side is missing. */
export function ratio(a: number | undefined | null, b: number | undefined | null): string {
  if (a === undefined || a === null || b === undefined || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  return `${fixed(a / b)}x`;
}

export const ms = (v: number | undefined | null) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : `${fixed(v)} ms`);
export const us = (v: number | undefined | null) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : `${fixed(v)} µs`);
