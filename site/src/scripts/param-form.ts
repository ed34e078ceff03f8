/**
 * A page's form of maximize parameters <-> the query string it stands for. Every control carries its parameter
 * name (data-param); parameters of the page address without a control ("extras") are kept aside, shown, and sent
 * unchanged so the API judges them; the query holds only what differs from the API's defaults (query.ts).
 */
import { PRESET_SETTINGS } from '../../../functions/api/maximize/defaults.ts';
import { buildQuery, queryContext, resolveLabel, toSearch, type QueryContext, type Values } from './query.ts';
import type { ModelInfo, ParamSpec, Problem } from './types.ts';
import { classOptions, modelOptions, paramControls, setOptions, type Control } from './ui.ts';

export interface ParamFormParts {
  form: HTMLFormElement;
  /** the endpoint's parameters (page data from the build) */
  specs: readonly ParamSpec[];
  /** parameters with a control on the page */
  controlled: readonly string[];
  /** parameters the page sets itself: neither controls nor extras */
  managed: readonly string[];
  /** where the extras are listed (hidden when there are none) */
  extrasBox: HTMLElement;
  extrasList: HTMLElement;
  /** the class a page shows when the address names none */
  defaultClass(labels: readonly string[]): string;
  /** the page's own changes to the controls' values (before the extras are added) */
  adjust?(values: Values): void;
}

export interface ParamForm {
  /** the models to choose from (set once loaded) */
  models: ModelInfo[];
  currentModel(): ModelInfo | undefined;
  context(): QueryContext;
  control(name: string): Control | null;
  controls(): Control[];
  /** parameters from the page address without a control (or with a value the control cannot hold) */
  extras: Values;
  /** the class (and minus) selects for the current model's labels, keeping requested values it does not have */
  fillClasses(classValue: string | undefined, minusValue?: string | undefined, layerGiven?: boolean): void;
  /** puts `values` into the controls; what has no control becomes an extra */
  apply(values: Values): void;
  /** the controls' values and the extras */
  read(): Values;
  /** the query string of read(), without defaults */
  query(): string;
  /** a control whose text the browser cannot read as a number, as a problem to show before asking the API */
  unreadable(more?: readonly HTMLInputElement[]): Problem | undefined;
  /** the control of a parameter, with its section opened (for the problem display's link) */
  focusParam(name: string): HTMLElement | null;
  showExtras(): void;
}

export function paramForm(parts: ParamFormParts): ParamForm {
  const { form } = parts;
  const { control, controls } = paramControls(form);
  const select = (name: string) => control(name) as HTMLSelectElement | null;
  const known = new Set<string>([...parts.controlled, ...parts.managed]);

  function setControl(c: Control, value: string | undefined): void {
    if (c instanceof HTMLSelectElement) {
      if (value === undefined) {
        c.selectedIndex = Math.max(0, [...c.options].findIndex((o) => o.defaultSelected));
        return;
      }
      if (![...c.options].some((o) => o.value === value)) c.append(new Option(`${value} (not accepted here)`, value));
      c.value = value;
      return;
    }
    c.value = value ?? c.defaultValue;
    // a number field cannot hold "abc": keep such a value aside and send it, so the API says what is wrong
    if (value !== undefined && value !== '' && c.value === '') f.extras[c.dataset.param!] = value;
  }

  const f: ParamForm = {
    models: [],
    extras: {},
    currentModel: () => f.models.find((m) => m.id === select('model')?.value),
    context: () => queryContext({ specs: parts.specs, defaults: PRESET_SETTINGS }, f.currentModel()),
    control,
    controls,

    fillClasses(classValue, minusValue, layerGiven = false) {
      const labels = f.currentModel()?.labels ?? [];
      const cls = classValue === undefined ? undefined : resolveLabel(labels, classValue) ?? classValue;
      const options = classOptions(labels, cls);
      if (layerGiven && cls === undefined) options.unshift({ value: '', label: 'none (a layer and unit are given)' });
      setOptions(select('class')!, options, cls ?? (layerGiven ? '' : parts.defaultClass(labels)));
      const minusSelect = select('minus');
      if (!minusSelect) return;
      const minus = minusValue === undefined ? '' : resolveLabel(labels, minusValue) ?? minusValue;
      setOptions(minusSelect, [{ value: '', label: 'none' }, ...classOptions(labels, minus)], minus);
    },

    apply(values) {
      f.extras = {};
      setOptions(select('model')!, modelOptions(f.models, values.model), values.model ?? f.models[0]?.id ?? '');
      f.fillClasses(values.class, values.minus, values.layer !== undefined);
      for (const c of controls()) {
        const name = c.dataset.param!;
        if (name !== 'model' && name !== 'class' && name !== 'minus') setControl(c, values[name]);
      }
      for (const [k, v] of Object.entries(values)) if (!known.has(k)) f.extras[k] = v;
    },

    read() {
      const v: Values = {};
      for (const c of controls()) v[c.dataset.param!] = c.value.trim();
      parts.adjust?.(v);
      return { ...v, ...f.extras };
    },

    query: () => toSearch(buildQuery(f.read(), f.context())),

    unreadable(more = []) {
      for (const c of [...controls(), ...more]) {
        if (c instanceof HTMLInputElement && c.validity.badInput) {
          const label = form.querySelector(`label[for="${c.id}"]`)?.textContent?.trim() ?? c.id;
          const problem: Problem = { type: 'about:blank', title: 'Not a number', status: 0, detail: `The field “${label}” does not hold a number.` };
          if (c.dataset.param) problem.parameter = c.dataset.param;
          return problem;
        }
      }
      return undefined;
    },

    focusParam(name) {
      const c = control(name);
      c?.closest('details')?.setAttribute('open', '');
      return c;
    },

    showExtras() {
      const shown = Object.entries(f.extras);
      parts.extrasBox.hidden = shown.length === 0;
      parts.extrasList.textContent = toSearch(shown);
    },
  };
  return f;
}
