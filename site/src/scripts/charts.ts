/**
 * The two charts of the pages, drawn with the DOM: class probabilities as horizontal bars (HTML, so the values
 * are text a screen reader reads) and the optimization trace as an SVG line plot.
 */
import { fmtNum, fmtP, fmtTick } from './format.ts';
import { el } from './ui.ts';

export interface BarMarks {
  target?: number | null;
  minus?: number | null;
  predicted?: number | null;
}

/** One row per class: label, bar, value. Rows carry data-label and data-probability for scripts and tests. */
export function renderBars(list: HTMLElement, labels: readonly string[], probabilities: readonly number[], marks: BarMarks = {}): void {
  list.replaceChildren(...labels.map((label, k) => {
    const p = probabilities[k] ?? 0;
    const tags: string[] = [];
    if (k === marks.target) tags.push('target');
    if (k === marks.minus) tags.push('minus');
    if (k === marks.predicted) tags.push('predicted');
    const row = el('li', {
      class: ['bar-row', ...tags.map((t) => `is-${t}`)].join(' '),
      'data-label': label,
      'data-probability': String(p),
    });
    const name = el('span', { class: 'bar-label' }, label);
    for (const t of tags) name.append(' ', el('span', { class: `tag tag-${t}` }, t));
    const fill = el('span', { class: 'bar-fill' });
    fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    row.append(name, el('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill), el('span', { class: 'bar-value', title: String(p) }, fmtP(p)));
    return row;
  }));
}

/** [step, value] points of one series, per restart. */
export type Series = [number, number][][];

export interface PlotData {
  steps: number;
  objective: Series;
  probability: Series;
  /** what the probability is of, for the axis title */
  probabilityOf?: string | undefined;
}

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Evenly spaced round numbers covering [lo, hi]: 1, 2 or 5 times a power of ten apart. */
export function niceTicks(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: number[] } {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo: start, hi: end, ticks };
}

/**
 * Draws the objective (solid, left axis) and the class probability (dashed, right axis, 0 to 1) against the
 * step. The SVG is sized to its box, so text stays legible on a phone.
 */
export function renderPlot(svg: SVGSVGElement, data: PlotData): void {
  const width = Math.max(280, Math.round(svg.getBoundingClientRect().width || 600));
  const height = 240;
  const m = { left: 56, right: 48, top: 14, bottom: 38 };
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', String(height));
  const keep = [...svg.children].filter((c) => c.tagName.toLowerCase() === 'title' || c.tagName.toLowerCase() === 'desc');
  svg.replaceChildren(...keep);

  const values = data.objective.flat().map((p) => p[1]).filter(Number.isFinite);
  const steps = Math.max(1, data.steps);
  const xTicks = niceTicks(0, steps, width < 420 ? 3 : 6).ticks.filter((t) => t <= steps);
  const ys = values.length ? niceTicks(Math.min(...values), Math.max(...values), 4) : niceTicks(0, 1, 4);
  const x = (s: number) => m.left + (s / steps) * (width - m.left - m.right);
  const yl = (v: number) => height - m.bottom - ((v - ys.lo) / (ys.hi - ys.lo)) * (height - m.top - m.bottom);
  const yr = (p: number) => height - m.bottom - p * (height - m.top - m.bottom);

  const grid = svgEl('g', { class: 'plot-grid' });
  for (const t of ys.ticks) {
    grid.append(svgEl('line', { x1: m.left, x2: width - m.right, y1: yl(t), y2: yl(t) }));
    grid.append(svgEl('text', { x: m.left - 6, y: yl(t) + 4, 'text-anchor': 'end', class: 'plot-tick' }, fmtTick(t)));
  }
  for (const t of xTicks) {
    grid.append(svgEl('text', { x: x(t), y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'plot-tick' }, fmtTick(t)));
  }
  for (const p of [0, 0.5, 1]) {
    grid.append(svgEl('text', { x: width - m.right + 6, y: yr(p) + 4, 'text-anchor': 'start', class: 'plot-tick plot-tick-p' }, String(p)));
  }
  grid.append(svgEl('line', { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom, class: 'plot-axis' }));
  grid.append(svgEl('text', { x: (m.left + width - m.right) / 2, y: height - 4, 'text-anchor': 'middle', class: 'plot-title' }, 'step'));
  grid.append(svgEl('text', { x: 12, y: (m.top + height - m.bottom) / 2, 'text-anchor': 'middle', class: 'plot-title', transform: `rotate(-90 12 ${(m.top + height - m.bottom) / 2})` }, 'objective'));
  grid.append(svgEl('text', { x: width - 8, y: (m.top + height - m.bottom) / 2, 'text-anchor': 'middle', class: 'plot-title plot-tick-p', transform: `rotate(90 ${width - 8} ${(m.top + height - m.bottom) / 2})` }, data.probabilityOf ? `p(${data.probabilityOf})` : 'probability'));
  svg.append(grid);

  const line = (points: [number, number][], y: (v: number) => number, cls: string) => {
    const pts = points.filter((p) => Number.isFinite(p[1])).map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`);
    if (pts.length === 1) pts.push(pts[0]!);
    if (pts.length) svg.append(svgEl('polyline', { points: pts.join(' '), class: cls, fill: 'none' }));
  };
  for (const series of data.probability) line(series, (p) => yr(Math.max(0, Math.min(1, p))), 'plot-line plot-probability');
  for (const series of data.objective) line(series, yl, 'plot-line plot-objective');

  const first = data.objective[0]?.find((p) => Number.isFinite(p[1]));
  const last = data.objective[0]?.at(-1);
  const pFirst = data.probability[0]?.[0];
  const pLast = data.probability[0]?.at(-1);
  const summary = first && last
    ? `Objective from ${fmtNum(first[1])} to ${fmtNum(last[1])} over steps ${first[0]} to ${last[0]} of ${steps}`
      + (pFirst && pLast ? `; probability${data.probabilityOf ? ` of ${data.probabilityOf}` : ''} from ${fmtP(pFirst[1])} to ${fmtP(pLast[1])}.` : '.')
    : 'No steps yet.';
  svg.setAttribute('aria-label', `Line plot. ${summary}`);
}
