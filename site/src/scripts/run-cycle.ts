/**
 * The run/edit cycle the parameter pages (playground, adversarial) share: an edit updates the address bar
 * (debounced, so it stays shareable), Run validates the form and runs, Back/Forward restores the form of that run
 * and shows its result again.
 */
import { asProblem } from './api.ts';
import { parseSearch, type Values } from './query.ts';
import type { Problem } from './types.ts';
import { showProblem, type AddressState } from './ui.ts';

export interface RunCycle {
  form: HTMLFormElement;
  address: AddressState;
  problemBox: HTMLElement;
  /** the query string the form describes */
  query(): string;
  /** what in the form cannot be read as a parameter, if anything */
  unreadable(): Problem | undefined;
  focusParam(name: string): HTMLElement | null;
  compute(query: string): Promise<void>;
  /** the page's own reaction to an edit of `target` (before the address is updated) */
  edited(target: HTMLElement): void;
  /** puts the values of an address back into the form; false when the page cannot yet (still loading) */
  restore(values: Values): Promise<boolean>;
}

/** Wires the form's events; returns `run`, for the first run after loading. */
export function bindRunCycle(c: RunCycle): () => void {
  const run = (): void => {
    const problem = c.unreadable();
    if (problem) {
      showProblem(c.problemBox, problem, c.focusParam);
      return;
    }
    const q = c.query();
    c.address.run(q);
    void c.compute(q);
  };

  let editTimer = 0;
  const onEdit = (e: Event) => {
    const target = e.target as HTMLElement;
    target.removeAttribute('aria-invalid');
    c.edited(target);
    window.clearTimeout(editTimer);
    editTimer = window.setTimeout(() => c.address.edit(c.query()), 150);
  };
  c.form.addEventListener('input', onEdit);
  c.form.addEventListener('change', onEdit);
  c.form.addEventListener('submit', (e) => {
    e.preventDefault();
    window.clearTimeout(editTimer);
    run();
  });
  window.addEventListener('popstate', async () => {
    window.clearTimeout(editTimer);
    if (!(await c.restore(parseSearch(location.search)))) return;
    void c.compute(c.address.popped());
  });
  return run;
}

/** A page's start: once `load` gives what the page needs, `start`; when it fails, Run is disabled and the problem shown. */
export function startWhenLoaded<T>(load: Promise<T>, start: (loaded: T) => void, runButton: HTMLButtonElement, problemBox: HTMLElement): void {
  load.then(start).catch((e: unknown) => {
    runButton.disabled = true;
    showProblem(problemBox, asProblem(e));
  });
}
