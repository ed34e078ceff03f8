/**
 * The result side of a parameter page: one run at a time (a new run aborts the one before), the busy state of
 * the result section and the Run button, the API's problems shown where the result would be, and the words
 * both pages use for what the model says about an image.
 */
import { ApiError, asProblem, isAbort } from './api.ts';
import { fmtP } from './format.ts';
import { clearProblem, showProblem } from './ui.ts';

export interface ResultViewParts {
  /** the result section (aria-busy while running) */
  result: HTMLElement;
  runButton: HTMLButtonElement;
  /** a role="status" line */
  status: HTMLElement;
  problemBox: HTMLElement;
  /** the form whose controls a problem marks */
  form: HTMLElement;
  progress?: HTMLProgressElement;
}

export interface ResultView {
  /**
   * Runs `work` as the current run: the one before is aborted, the problem box cleared and the view busy until
   * `work` ends. A problem `work` throws is shown (its parameter linked to `focusParam`), unless it was aborted.
   */
  run(work: (signal: AbortSignal) => Promise<void>, focusParam: (name: string) => HTMLElement | null): Promise<'done' | 'aborted' | 'failed'>;
  /** clears the problem and the busy state without running (a result shown from memory) */
  idle(): void;
  progress(step: number, steps: number): void;
}

export function resultView(parts: ResultViewParts): ResultView {
  let running: AbortController | undefined;
  const busy = (on: boolean) => {
    parts.result.setAttribute('aria-busy', String(on));
    parts.runButton.textContent = on ? 'Running…' : 'Run';
    if (parts.progress) {
      parts.progress.hidden = !on;
      if (on) parts.progress.value = 0;
    }
  };
  return {
    async run(work, focusParam) {
      running?.abort();
      const controller = new AbortController();
      running = controller;
      clearProblem(parts.problemBox, parts.form);
      busy(true);
      parts.status.textContent = 'Running…';
      try {
        await work(controller.signal);
        if (controller.signal.aborted) return 'aborted';
        if (parts.status.textContent === 'Running…') parts.status.textContent = '';
        return 'done';
      } catch (e) {
        if (isAbort(e) || controller.signal.aborted) return 'aborted';
        showProblem(parts.problemBox, asProblem(e), focusParam);
        parts.status.textContent = e instanceof ApiError ? 'The API refused this request; see the message in the result.' : 'Something went wrong; see the message in the result.';
        return 'failed';
      } finally {
        if (running === controller) {
          running = undefined;
          busy(false);
        }
      }
    },
    idle() {
      running?.abort();
      running = undefined;
      clearProblem(parts.problemBox, parts.form);
      busy(false);
      parts.status.textContent = '';
    },
    progress(step, steps) {
      if (!parts.progress) return;
      parts.progress.max = steps;
      parts.progress.value = step;
    },
  };
}

/** "Bag (p = 0.999)": a predicted class and its probability. */
export const says = (label: string, p: number | null | undefined): string => `${label} (p = ${fmtP(p)})`;
