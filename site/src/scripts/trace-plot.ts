/**
 * The trace plot of a run: the objective and the traced class probability per step, drawn while progress events
 * arrive and again from the result's own trace. Redrawn at most once a frame, and when the plot changes size.
 */
import { renderPlot, type PlotData, type Series } from './charts.ts';
import type { MaximizeResult, Progress } from './types.ts';

export interface TracePlot {
  /** an empty plot for a run of `steps` steps, tracing the probability of `probabilityOf` */
  start(steps: number, probabilityOf: string | undefined): void;
  /** one progress event (one value per restart) */
  progress(p: Progress): void;
  /** the final trace (of the restart shown) */
  result(r: MaximizeResult): void;
}

/** [step, value] points from values of steps 1, 2, ... */
const bySteps = (values: readonly number[]): [number, number][] => values.map((v, i) => [i + 1, v]);

export function tracePlot(svg: SVGSVGElement): TracePlot {
  let data: PlotData | undefined;
  let frame = 0;
  const draw = (next: PlotData) => {
    data = next;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (data) renderPlot(svg, data);
    });
  };
  new ResizeObserver(() => { if (data) draw(data); }).observe(svg);

  let trace: { objective: Series; probability: Series } = { objective: [], probability: [] };
  let probabilityOf: string | undefined;
  return {
    start(steps, of) {
      trace = { objective: [], probability: [] };
      probabilityOf = of;
      draw({ steps, ...trace, probabilityOf });
    },
    progress(p) {
      p.objective.forEach((v, s) => { (trace.objective[s] ??= []).push([p.step, v]); });
      p.probability.forEach((v, s) => { if (v !== null) (trace.probability[s] ??= []).push([p.step, v]); });
      draw({ steps: p.steps, objective: trace.objective, probability: trace.probability, probabilityOf });
    },
    result(r) {
      draw({
        steps: r.steps,
        objective: [bySteps(r.trace.objective)],
        probability: r.trace.probability ? [bySteps(r.trace.probability)] : [],
        probabilityOf: r.label ?? undefined,
      });
    },
  };
}
