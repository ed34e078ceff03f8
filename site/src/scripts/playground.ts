/**
 * The playground page (/): controls bound to the parameters of /api/v1/maximize, runs read live from
 * /api/v1/maximize/events, and the page address as the state (replaceState on edits, pushState on Run, popstate
 * restores).
 */
import { asProblem, isAbort, loadModels, maximizeLive, problemOf } from './api.ts';
import { renderBars, renderPlot, type PlotData, type Series } from './charts.ts';
import { defaultSteps } from '../../../functions/api/maximize/defaults.ts';
import { fmtNum, fmtP } from './format.ts';
import { mountPicker, samplesInfo, type Picker } from './picker.ts';
import { bindRunCycle } from './run-cycle.ts';
import { REGULARIZERS, buildQuery, defaultLr, parseSearch, plannedFor, regularizerDefault, resolveLabel, toSearch, queryContext, type QueryContext, type Values } from './query.ts';
import type { MaximizeResult, ModelInfo, ParamSpec, PlannedDefaults, Problem } from './types.ts';
import { AddressState, byId, classOptions, paramControls, type Control, clearProblem, copyText, modelOptions, pageData, setOptions, showProblem } from './ui.ts';

/** Parameters that have a control on the page (an element with data-param), besides mask (the rectangle). */
export const CONTROLLED = [
  'model', 'class', 'minus', 'target', 'optimizer', 'lr', 'steps', 'init', 'sample', 'seed', 'min', 'max', 'eps', 'norm',
  'l2', 'l1', 'tv', 'blur', 'blur_every', 'jitter', 'preset', 'restarts', 'pick', 'view', 'prior',
] as const;
/** Parameters without a control: taken from the page address and sent unchanged (shown as "also sent"). */
export const PASS_THROUGH = ['mask', 'layer', 'unit', 'x', 'scale', 'colormap', 'zmax'] as const;
/** Managed by the page itself (png for the image, gif for its animation, json for the fallback). */
export const MANAGED = ['format', 'frames', 'frame_spacing', 'caption'] as const;

const RECT = /^(\d+),(\d+),(\d+),(\d+)$/;


interface PageData {
  specs: ParamSpec[];
  defaults: Record<string, PlannedDefaults>;
}

export function initPlayground(): void {
  const data = pageData<PageData>('playground-data');
  const startNames = pageData<Record<string, string>>('start-names');
  const form = byId<HTMLFormElement>('controls');
  const modelSelect = byId<HTMLSelectElement>('f-model');
  const classSelect = byId<HTMLSelectElement>('f-class');
  const minusSelect = byId<HTMLSelectElement>('f-minus');
  const initSelect = byId<HTMLSelectElement>('f-init');
  const sampleInput = byId<HTMLInputElement>('f-sample');
  const sampleField = byId('sample-field');
  const pickerEl = byId('picker');
  const maskOn = byId<HTMLInputElement>('mask-on');
  const maskInputs = ['mask-left', 'mask-top', 'mask-right', 'mask-bottom'].map((id) => byId<HTMLInputElement>(id));
  const runButton = byId<HTMLButtonElement>('run');
  const status = byId('status');
  const progress = byId<HTMLProgressElement>('progress');
  const problemBox = byId('problem');
  const stale = byId('stale');
  const result = byId('result');
  const warningsBox = byId<HTMLUListElement>('warnings');
  const img = byId<HTMLImageElement>('result-img');
  const overlay = byId('mask-overlay');
  const summary = byId('summary');
  const bars = byId('bars');
  const plot = byId('plot') as unknown as SVGSVGElement;
  const urlInput = byId<HTMLInputElement>('url');
  const jsonLink = byId<HTMLAnchorElement>('json-link');
  const gifLink = byId<HTMLAnchorElement>('gif-link');
  const animateButton = byId<HTMLButtonElement>('animate');
  const copyStatus = byId('copy-status');
  const extrasBox = byId('extras');
  const extrasList = byId('extras-list');

  const address = new AddressState('/');
  const results = new Map<string, MaximizeResult>();
  let models: ModelInfo[] = [];
  /** parameters from the page address without a control (or with a value the control cannot hold) */
  let extras: Values = {};
  let picker: Picker | undefined;
  let running: AbortController | undefined;
  let shownQuery: string | undefined;
  let shownAlt = '';
  /** the result is shown as its animation (format=gif) */
  let animated = false;
  const imageUrl = (q: string) => `/api/v1/maximize?${q}${animated ? '&format=gif' : ''}`;
  let plotData: PlotData | undefined;

  const { control, controls } = paramControls(form);
  const currentModel = () => models.find((m) => m.id === modelSelect.value);
  const ctx = (): QueryContext => queryContext(data, currentModel());

  // ---- controls <-> values --------------------------------------------------------------------------------

  function fillModels(requested: string | undefined): void {
    setOptions(modelSelect, modelOptions(models, requested), requested ?? models[0]?.id ?? '');
  }

  function fillClasses(classValue: string | undefined, minusValue: string | undefined, layerGiven: boolean): void {
    const labels = currentModel()?.labels ?? [];
    const cls = classValue === undefined ? undefined : resolveLabel(labels, classValue) ?? classValue;
    const options = classOptions(labels, cls);
    if (layerGiven && cls === undefined) options.unshift({ value: '', label: 'none (a layer and unit are given)' });
    setOptions(classSelect, options, cls ?? (layerGiven ? '' : labels[0] ?? ''));
    const minus = minusValue === undefined ? '' : resolveLabel(labels, minusValue) ?? minusValue;
    setOptions(minusSelect, [{ value: '', label: 'none' }, ...classOptions(labels, minus)], minus);
  }

  function setControl(c: Control, value: string | undefined): void {
    const name = c.dataset.param!;
    if (c instanceof HTMLSelectElement) {
      if (value === undefined) {
        const def = [...c.options].findIndex((o) => o.defaultSelected);
        c.selectedIndex = Math.max(0, def);
        return;
      }
      if (![...c.options].some((o) => o.value === value)) c.append(new Option(`${value} (not accepted here)`, value));
      c.value = value;
      return;
    }
    c.value = value ?? c.defaultValue;
    // a number field cannot hold "abc": keep such a value aside and send it, so the API says what is wrong
    if (value !== undefined && value !== '' && c.value === '') extras[name] = value;
  }

  function applyValues(values: Values): void {
    extras = {};
    fillModels(values.model);
    fillClasses(values.class, values.minus, values.layer !== undefined);
    for (const c of controls()) {
      const name = c.dataset.param!;
      if (name !== 'model' && name !== 'class' && name !== 'minus') setControl(c, values[name]);
    }
    if (values.init === undefined) initSelect.value = values.sample !== undefined ? 'sample' : values.x !== undefined ? 'image' : '';
    const rect = values.mask !== undefined ? RECT.exec(values.mask) : null;
    maskOn.checked = rect !== null;
    maskInputs.forEach((input, i) => { input.value = rect ? rect[i + 1]! : input.defaultValue; });
    const controlled = new Set<string>(CONTROLLED);
    for (const [k, v] of Object.entries(values)) {
      if (controlled.has(k) || (MANAGED as readonly string[]).includes(k) || (k === 'mask' && rect)) continue;
      extras[k] = v;
    }
    updateDependent();
    // open the sections whose settings differ from the defaults
    const given = new Set(buildQuery(readValues(), ctx()).map(([k]) => k));
    for (const d of form.querySelectorAll('details')) {
      d.open = [...d.querySelectorAll<Control>('[data-param]')].some((c) => given.has(c.dataset.param!)) || (d.contains(maskOn) && maskOn.checked);
    }
  }

  function readValues(): Values {
    const v: Values = {};
    for (const c of controls()) v[c.dataset.param!] = c.value.trim();
    if (v.init !== 'sample') delete v.sample;
    if (maskOn.checked) v.mask = maskInputs.map((i) => i.value.trim()).join(',');
    return { ...v, ...extras };
  }

  const query = () => toSearch(buildQuery(readValues(), ctx()));

  /** Placeholders and visibility that depend on other controls. */
  function updateDependent(): void {
    const m = currentModel();
    const values = readValues();
    for (const name of REGULARIZERS) {
      const c = control(name);
      if (c instanceof HTMLInputElement) c.placeholder = `${regularizerDefault(name, values, data.defaults)}${values.preset === 'natural' ? ' (natural)' : ''}`;
    }
    const start = plannedFor(values, data.defaults).init;
    const defaultStart = initSelect.querySelector<HTMLOptionElement>('option[value=""]');
    if (defaultStart) defaultStart.textContent = `the preset's default (${startNames[start] ?? start})`;
    const lr = control('lr');
    if (lr instanceof HTMLInputElement) lr.placeholder = m ? `${defaultLr(m.input, values, data.defaults)} (auto)` : 'auto';
    const steps = control('steps');
    if (steps instanceof HTMLInputElement) steps.placeholder = `${defaultSteps(values.prior)}${values.prior ? ' (prior)' : ''}`;
    const min = control('min');
    const max = control('max');
    if (m && min instanceof HTMLInputElement) min.placeholder = `${m.input.min} (model)`;
    if (m && max instanceof HTMLInputElement) max.placeholder = `${m.input.max} (model)`;
    const [h, w] = m ? m.input.shape.slice(-2) : [undefined, undefined];
    for (const input of maskInputs) {
      input.disabled = !maskOn.checked;
      if (w !== undefined && h !== undefined) input.max = String(input.id.endsWith('left') || input.id.endsWith('right') ? w : h);
    }
    sampleField.hidden = initSelect.value !== 'sample';
    if (!sampleField.hidden) ensurePicker();
    const shown = Object.entries(extras);
    extrasBox.hidden = shown.length === 0;
    extrasList.textContent = toSearch(shown);
  }

  function ensurePicker(): void {
    if (picker) {
      picker.sync();
      return;
    }
    pickerEl.textContent = 'Loading the test images…';
    samplesInfo()
      .then((s) => { picker ??= mountPicker(pickerEl, sampleInput, s); })
      .catch((e: unknown) => { pickerEl.textContent = `The test images could not be loaded: ${asProblem(e).detail}`; });
  }

  /** A local check before asking the API: number fields holding text the browser could not read as a number. */
  function unreadable(): Problem | undefined {
    for (const c of [...controls(), ...maskInputs]) {
      if (c instanceof HTMLInputElement && c.validity.badInput) {
        const label = form.querySelector(`label[for="${c.id}"]`)?.textContent?.trim() ?? c.id;
        const problem: Problem = { type: 'about:blank', title: 'Not a number', status: 0, detail: `The field “${label}” does not hold a number.` };
        if (c.dataset.param) problem.parameter = c.dataset.param;
        return problem;
      }
    }
    return undefined;
  }

  const focusParam = (name: string): HTMLElement | null => {
    const c = name === 'mask' ? maskOn : control(name);
    if (c) c.closest('details')?.setAttribute('open', '');
    return c;
  };

  // ---- running --------------------------------------------------------------------------------------------

  let plotFrame = 0;
  function drawPlot(next: PlotData): void {
    plotData = next;
    if (plotFrame) return;
    plotFrame = requestAnimationFrame(() => {
      plotFrame = 0;
      if (plotData) renderPlot(plot, plotData);
    });
  }

  function setBusy(busy: boolean): void {
    result.setAttribute('aria-busy', String(busy));
    runButton.textContent = busy ? 'Running…' : 'Run';
    progress.hidden = !busy;
  }

  async function compute(q: string): Promise<void> {
    running?.abort();
    clearProblem(problemBox, form);
    const cached = results.get(q);
    if (cached) {
      running = undefined;
      setBusy(false);
      show(q, cached, true);
      status.textContent = '';
      return;
    }
    const controller = new AbortController();
    running = controller;
    setBusy(true);
    progress.value = 0;
    status.textContent = 'Running…';
    const started = performance.now();
    const trace: { objective: Series; probability: Series } = { objective: [], probability: [] };
    const probabilityOf = classSelect.value || undefined;
    drawPlot({ steps: Number(readValues().steps) || defaultSteps(readValues().prior), ...trace, probabilityOf });
    try {
      const { result: r, live } = await maximizeLive(q, (p) => {
        progress.max = p.steps;
        progress.value = p.step;
        p.objective.forEach((v, s) => { (trace.objective[s] ??= []).push([p.step, v]); });
        p.probability.forEach((v, s) => { if (v !== null) (trace.probability[s] ??= []).push([p.step, v]); });
        drawPlot({ steps: p.steps, objective: trace.objective, probability: trace.probability, probabilityOf });
      }, controller.signal);
      if (controller.signal.aborted) return;
      results.set(q, r);
      // keep the last few results (Back and Forward show them without asking again)
      if (results.size > 32) results.delete(results.keys().next().value!);
      show(q, r, live);
      status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
    } catch (e) {
      if (isAbort(e)) return;
      showProblem(problemBox, asProblem(e), focusParam);
      status.textContent = 'The API refused this request; see the message in Result.';
      stale.hidden = shownQuery === undefined;
      if (shownQuery === undefined) summary.textContent = 'No result yet.';
    } finally {
      if (running === controller) {
        running = undefined;
        setBusy(false);
      }
    }
  }

  function show(q: string, r: MaximizeResult, live: boolean): void {
    shownQuery = q;
    const src = `/api/v1/maximize?${q}`;
    const labels = models.find((m) => m.id === r.model)?.labels ?? r.probabilities.map((_, k) => String(k));
    const what = r.label !== null ? `${r.label}${r.minusLabel ? ` minus ${r.minusLabel}` : ''}` : 'the chosen unit';
    shownAlt = `Input that maximizes ${what} (${r.model})`;
    img.alt = `${shownAlt}; the model says ${r.predicted.label}${r.probability !== null ? `, p(${r.label}) = ${fmtP(r.probability)}` : ''}.`;
    if (img.getAttribute('src') !== imageUrl(q)) img.src = imageUrl(q);

    const objectiveOf = r.label !== null
      ? `${r.target}(${r.label})${r.minusLabel ? ` − ${r.target}(${r.minusLabel})` : ''}`
      : `unit ${String(r.params.unit ?? '')} of ${String(r.target)}`;
    summary.replaceChildren(
      `${r.model} says `, Object.assign(document.createElement('strong'), { textContent: r.predicted.label }),
      ` (p = ${fmtP(r.probabilities[r.predicted.class])})${r.label !== null && r.predicted.label !== r.label ? `; p(${r.label}) = ${fmtP(r.probability)}` : ''}. `
      + `Objective ${objectiveOf} = ${fmtNum(r.objective)} after ${r.steps} steps; about ${fmtNum(r.work.cpuMs)} ms of CPU.`
      + (live ? '' : ' (Progress could not be streamed; this is the final result.)'),
    );
    warningsBox.replaceChildren(...(r.warnings ?? []).map((w) => Object.assign(document.createElement('li'), { textContent: w })));
    warningsBox.hidden = !r.warnings?.length;
    renderBars(bars, labels, r.probabilities, { target: r.class, minus: r.minus, predicted: r.predicted.class });
    const probability = r.trace.probability;
    drawPlot({
      steps: r.steps,
      objective: [r.trace.objective.map((v, i): [number, number] => [i + 1, v])],
      probability: probability ? [probability.map((v, i): [number, number] => [i + 1, v])] : [],
      probabilityOf: r.label ?? undefined,
    });
    urlInput.value = new URL(imageUrl(q), location.href).href;
    jsonLink.href = `${src}&format=json`;
    gifLink.href = `${src}&format=gif`;

    const rect = parseSearch(q).mask;
    const m = rect ? RECT.exec(rect) : null;
    const [h, w] = r.image.shape.slice(-2) as [number, number];
    overlay.hidden = !m || r.params.pick === 'all';
    if (m && w && h) {
      const [l, t, rr, b] = m.slice(1).map(Number) as [number, number, number, number];
      Object.assign(overlay.style, { left: `${(l / w) * 100}%`, top: `${(t / h) * 100}%`, width: `${((rr - l) / w) * 100}%`, height: `${((b - t) / h) * 100}%` });
    }
    stale.hidden = query() === q;
  }

  img.addEventListener('error', () => {
    const src = img.getAttribute('src');
    if (!src) return;
    fetch(src)
      .then(async (res) => {
        if (!res.ok) showProblem(problemBox, await problemOf(res), focusParam);
      })
      .catch((e: unknown) => showProblem(problemBox, asProblem(e), focusParam));
  });

  // ---- events ---------------------------------------------------------------------------------------------

  const run = bindRunCycle({
    form, address, problemBox, query, unreadable, focusParam, compute,
    edited(target) {
      const name = target.dataset.param;
      if (name) delete extras[name];
      if (target === maskOn) delete extras.mask;
      if (target === modelSelect) fillClasses(classSelect.value || undefined, minusSelect.value || undefined, 'layer' in extras);
      if (target === initSelect && initSelect.value === 'sample' && sampleInput.value.trim() === '') sampleInput.value = '0';
      updateDependent();
      if (shownQuery !== undefined) stale.hidden = query() === shownQuery;
    },
    async restore(values) {
      if (!models.length) return false;
      models = await loadModels(values.model, models).catch(() => models);
      applyValues(values);
      return true;
    },
  });
  animateButton.addEventListener('click', () => {
    animated = !animated;
    animateButton.setAttribute('aria-pressed', String(animated));
    if (shownQuery === undefined) return;
    img.src = imageUrl(shownQuery);
    urlInput.value = new URL(imageUrl(shownQuery), location.href).href;
  });
  byId('extras-clear').addEventListener('click', () => {
    extras = {};
    updateDependent();
    address.edit(query());
  });

  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-copy]')) {
    b.addEventListener('click', async () => {
      const url = urlInput.value;
      if (!url) return;
      const alt = shownAlt.replace(/"/g, '&quot;');
      const text = { url, img: `<img src="${url.replace(/&/g, '&amp;')}" alt="${alt}">`, md: `![${shownAlt.replace(/[[\]]/g, '')}](${url})` }[b.dataset.copy ?? 'url'] ?? url;
      const ok = await copyText(text);
      copyStatus.textContent = ok ? `Copied: ${text}` : 'The browser refused to copy; select the URL above and copy it by hand.';
    });
  }
  new ResizeObserver(() => { if (plotData) drawPlot(plotData); }).observe(plot);

  // ---- start ----------------------------------------------------------------------------------------------

  const initial = parseSearch(location.search);
  loadModels(initial.model)
    .then((list) => {
      models = list;
      applyValues(initial);
      run();
    })
    .catch((e: unknown) => {
      runButton.disabled = true;
      summary.textContent = 'No models to show.';
      showProblem(problemBox, asProblem(e));
    });
}
