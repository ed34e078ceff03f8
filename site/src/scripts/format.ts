/** Number formatting shared by the pages. */

/** A probability for display: 3 decimals, or scientific notation below 0.001 (so 1e-30 does not read as 0). */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  if (p === 0) return '0';
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}

/** A general number with about 4 significant digits. */
export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return x.toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

/** Axis tick labels: short, no float noise (0.30000000000000004 -> 0.3). */
export function fmtTick(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3) return x.toExponential(0);
  return x.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}
