/**
 * The playground page (/): controls bound to the parameters of /api/v1/maximize (param-form.ts), runs read live
 * from /api/v1/maximize/events (result-view.ts, trace-plot.ts), and the page address as the state (run-cycle.ts:
 * replaceState on edits, pushState on Run, popstate restores). This file adds what only the playground has: the
 * mask rectangle (mask-rect.ts), placeholders that follow the preset and the model, the test-image picker, the
 * probability bars, the URL to copy (url-box.ts), and what the chosen model allows (model-details.ts): its
 * tensors in the layer picker, and the steps and restarts its CPU budget fits as the fields' limits.
 */
import { asProblem, loadModels, maximizeLive, problemOf } from './api.ts';
import { renderBars } from './charts.ts';
import { defaultSteps } from '../../../functions/api/maximize/defaults.ts';
import { fmtNum, fmtP } from './format.ts';
import { maskRect } from './mask-rect.ts';
import { modelDetails, tensorLabel, unitHint, type ModelDetails } from './model-details.ts';
import { paramForm } from './param-form.ts';
import { mountPicker, samplesInfo, type Picker } from './picker.ts';
import { REGULARIZERS, buildQuery, defaultLr, parseSearch, plannedFor, regularizerDefault, type Values } from './query.ts';
import { resultView } from './result-view.ts';
import { bindRunCycle } from './run-cycle.ts';
import { tracePlot } from './trace-plot.ts';
import type { MaximizeResult, ParamSpec } from './types.ts';
import { AddressState, byId, pageData, showProblem, type Control } from './ui.ts';
import { urlBox } from './url-box.ts';

/** Parameters that have a control on the page (an element with data-param), besides mask (the rectangle). */
export const CONTROLLED = [
  'model', 'class', 'minus', 'target', 'optimizer', 'lr', 'steps', 'init', 'sample', 'seed', 'min', 'max', 'eps', 'norm',
  'l2', 'l1', 'tv', 'blur', 'blur_every', 'jitter', 'preset', 'restarts', 'pick', 'view', 'prior', 'layer', 'unit',
] as const;
/** Parameters without a control: taken from the page address and sent unchanged (shown as "also sent"). */
export const PASS_THROUGH = ['mask', 'x', 'scale', 'colormap', 'zmax'] as const;
/** Managed by the page itself (png for the image, gif for its animation, json for the fallback). */
export const MANAGED = ['format', 'frames', 'frame_spacing', 'caption'] as const;

export function initPlayground(): void {
  const { specs } = pageData<{ specs: ParamSpec[] }>('playground-data');
  const startNames = pageData<Record<string, string>>('start-names');
  const form = byId<HTMLFormElement>('controls');
  const modelSelect = byId<HTMLSelectElement>('f-model');
  const classSelect = byId<HTMLSelectElement>('f-class');
  const minusSelect = byId<HTMLSelectElement>('f-minus');
  const initSelect = byId<HTMLSelectElement>('f-init');
  const sampleInput = byId<HTMLInputElement>('f-sample');
  const sampleField = byId('sample-field');
  const pickerEl = byId('picker');
  const mask = maskRect(byId<HTMLInputElement>('mask-on'), ['mask-left', 'mask-top', 'mask-right', 'mask-bottom'].map((id) => byId<HTMLInputElement>(id)), byId('mask-overlay'));
  const runButton = byId<HTMLButtonElement>('run');
  const status = byId('status');
  const problemBox = byId('problem');
  const stale = byId('stale');
  const warningsBox = byId<HTMLUListElement>('warnings');
  const img = byId<HTMLImageElement>('result-img');
  const summary = byId('summary');
  const bars = byId('bars');
  const animateButton = byId<HTMLButtonElement>('animate');
  const layerSelect = byId<HTMLSelectElement>('f-layer');
  const unitInput = byId<HTMLInputElement>('f-unit');
  const stepsInput = byId<HTMLInputElement>('f-steps');
  const restartsInput = byId<HTMLInputElement>('f-restarts');
  const hintOf = (c: HTMLElement) => byId(`${c.id}-hint`);
  const baseHints = new Map([stepsInput, restartsInput].map((c) => [c, hintOf(c).textContent ?? '']));
  const baseMax = new Map([stepsInput, restartsInput].map((c) => [c, c.max]));

  const address = new AddressState('/');
  const params = paramForm({
    form, specs, controlled: CONTROLLED, managed: MANAGED,
    extrasBox: byId('extras'), extrasList: byId('extras-list'),
    defaultClass: (labels) => labels[0] ?? '',
    adjust(v) {
      if (v.init !== 'sample') delete v.sample;
      if (!v.layer) delete v.unit;
      const m = mask.value();
      if (m !== undefined) v.mask = m;
    },
  });
  const view = resultView({ result: byId('result'), runButton, status, problemBox, form, progress: byId<HTMLProgressElement>('progress') });
  const plot = tracePlot(byId('plot') as unknown as SVGSVGElement);
  const url = urlBox(byId<HTMLInputElement>('url'), { json: byId<HTMLAnchorElement>('json-link'), gif: byId<HTMLAnchorElement>('gif-link') }, byId('copy-status'), document.querySelectorAll<HTMLButtonElement>('[data-copy]'));
  const results = new Map<string, MaximizeResult>();
  let picker: Picker | undefined;
  let shownQuery: string | undefined;
  /** the result is shown as its animation (format=gif) */
  let animated = false;
  const imageUrl = (q: string) => `/api/v1/maximize?${q}${animated ? '&format=gif' : ''}`;

  // ---- controls <-> values --------------------------------------------------------------------------------

  function applyValues(values: Values): void {
    params.apply(values);
    if (values.init === undefined) initSelect.value = values.sample !== undefined ? 'sample' : values.x !== undefined ? 'image' : '';
    if (mask.apply(values.mask)) delete params.extras.mask;
    updateDependent();
    // open the sections whose settings differ from the defaults
    const given = new Set(buildQuery(params.read(), params.context()).map(([k]) => k));
    for (const d of form.querySelectorAll('details')) {
      d.open = [...d.querySelectorAll<Control>('[data-param]')].some((c) => given.has(c.dataset.param!)) || (d.contains(mask.toggle) && mask.toggle.checked);
    }
  }

  /** Placeholders and visibility that depend on other controls. */
  function updateDependent(): void {
    const m = params.currentModel();
    const values = params.read();
    const { defaults } = params.context();
    for (const name of REGULARIZERS) {
      const c = params.control(name);
      if (c instanceof HTMLInputElement) c.placeholder = `${regularizerDefault(name, values, defaults)}${values.preset === 'natural' ? ' (natural)' : ''}`;
    }
    const start = plannedFor(values, defaults).init;
    const defaultStart = initSelect.querySelector<HTMLOptionElement>('option[value=""]');
    if (defaultStart) defaultStart.textContent = `the preset's default (${startNames[start] ?? start})`;
    const lr = params.control('lr');
    if (lr instanceof HTMLInputElement) lr.placeholder = m ? `${defaultLr(m.input, values, defaults)} (auto)` : 'auto';
    const steps = params.control('steps');
    if (steps instanceof HTMLInputElement) steps.placeholder = `${defaultSteps(values.prior)}${values.prior ? ' (prior)' : ''}`;
    const min = params.control('min');
    const max = params.control('max');
    if (m && min instanceof HTMLInputElement) min.placeholder = `${m.input.min} (model)`;
    if (m && max instanceof HTMLInputElement) max.placeholder = `${m.input.max} (model)`;
    // the image shape is [height, width] or [height, width, channels]
    const [height, width] = m ? m.input.shape : [];
    mask.update(height !== undefined && width !== undefined ? { height, width } : undefined);
    sampleField.hidden = initSelect.value !== 'sample';
    if (!sampleField.hidden) ensurePicker();
    loadDetails();
    params.showExtras();
  }

  /** The chosen model's tensors in the layer picker and its budget as the limits of steps and restarts. */
  function showDetails(d: ModelDetails | undefined): void {
    const chosen = layerSelect.value;
    const none = layerSelect.options[0]!;
    const options = (d?.tensors ?? []).map((t) => new Option(tensorLabel(t), t.name));
    if (chosen && !options.some((o) => o.value === chosen)) options.push(new Option(`${chosen} (not a tensor of this model)`, chosen));
    layerSelect.replaceChildren(none, ...options);
    layerSelect.value = chosen;
    const tensor = d?.tensors.find((t) => t.name === chosen);
    unitInput.disabled = !chosen;
    unitInput.max = tensor ? String(tensor.units - 1) : '';
    hintOf(unitInput).textContent = unitHint(tensor);
    const limit = (c: HTMLInputElement, max: number | undefined, words: string) => {
      c.max = max !== undefined ? String(max) : baseMax.get(c)!;
      hintOf(c).textContent = max !== undefined ? `${words} ${baseHints.get(c)!}` : baseHints.get(c)!;
    };
    const b = d?.budget;
    limit(stepsInput, b?.maxSteps, b ? `At most ${b.maxSteps.toLocaleString('en-US')} steps of one image fit this model's CPU limit (${b.cpuMs.toLocaleString('en-US')} ms).` : '');
    limit(restartsInput, b?.maxRestarts, b ? `At most ${b.maxRestarts} restarts of the default steps fit this model's CPU limit.` : '');
  }

  let detailsFor: string | undefined;
  function loadDetails(): void {
    const id = params.currentModel()?.id;
    if (!id) return showDetails(undefined);
    detailsFor = id;
    modelDetails(id)
      .then((d) => { if (detailsFor === id) showDetails(d); })
      .catch(() => { if (detailsFor === id) showDetails(undefined); });
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

  const focusParam = (name: string): HTMLElement | null => {
    if (name !== 'mask') return params.focusParam(name);
    mask.toggle.closest('details')?.setAttribute('open', '');
    return mask.toggle;
  };

  // ---- running --------------------------------------------------------------------------------------------

  async function compute(q: string): Promise<void> {
    const cached = results.get(q);
    if (cached) {
      view.idle();
      show(q, cached, true);
      return;
    }
    const started = performance.now();
    plot.start(Number(params.read().steps) || defaultSteps(params.read().prior), classSelect.value || undefined);
    const outcome = await view.run(async (signal) => {
      const { result: r, live } = await maximizeLive(q, (p) => {
        view.progress(p.step, p.steps);
        plot.progress(p);
      }, signal);
      if (signal.aborted) return;
      results.set(q, r);
      // keep the last few results (Back and Forward show them without asking again)
      if (results.size > 32) results.delete(results.keys().next().value!);
      show(q, r, live);
      status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
    }, focusParam);
    if (outcome === 'failed') {
      stale.hidden = shownQuery === undefined;
      if (shownQuery === undefined) summary.textContent = 'No result yet.';
    }
  }

  function show(q: string, r: MaximizeResult, live: boolean): void {
    shownQuery = q;
    const src = `/api/v1/maximize?${q}`;
    const labels = params.models.find((m) => m.id === r.model)?.labels ?? r.probabilities.map((_, k) => String(k));
    const what = r.label !== null ? `${r.label}${r.minusLabel ? ` minus ${r.minusLabel}` : ''}` : 'the chosen unit';
    const alt = `Input that maximizes ${what} (${r.model})`;
    img.alt = `${alt}; the model says ${r.predicted.label}${r.probability !== null ? `, p(${r.label}) = ${fmtP(r.probability)}` : ''}.`;
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
    plot.result(r);
    url.show(src, alt, imageUrl(q));
    const [height, width] = r.image.shape as [number, number];
    mask.outline(r.params.pick === 'all' ? undefined : parseSearch(q).mask, { height, width });
    stale.hidden = params.query() === q;
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
    form, address, problemBox, query: params.query, unreadable: () => params.unreadable(mask.fields), focusParam, compute,
    edited(target) {
      const name = target.dataset.param;
      if (name) delete params.extras[name];
      if (target === mask.toggle) delete params.extras.mask;
      if (target === modelSelect) params.fillClasses(classSelect.value || undefined, minusSelect.value || undefined, layerSelect.value !== '');
      // a hidden unit instead of a class, or back to a class
      if (target === layerSelect) params.fillClasses(layerSelect.value ? undefined : classSelect.value || undefined, minusSelect.value || undefined, layerSelect.value !== '');
      if (target === initSelect && initSelect.value === 'sample' && sampleInput.value.trim() === '') sampleInput.value = '0';
      updateDependent();
      if (shownQuery !== undefined) stale.hidden = params.query() === shownQuery;
    },
    async restore(values) {
      if (!params.models.length) return false;
      params.models = await loadModels(values.model, params.models).catch(() => params.models);
      applyValues(values);
      return true;
    },
  });
  animateButton.addEventListener('click', () => {
    animated = !animated;
    animateButton.setAttribute('aria-pressed', String(animated));
    if (shownQuery === undefined) return;
    img.src = imageUrl(shownQuery);
    url.shown(imageUrl(shownQuery));
  });
  byId('extras-clear').addEventListener('click', () => {
    params.extras = {};
    updateDependent();
    address.edit(params.query());
  });

  // ---- start ----------------------------------------------------------------------------------------------

  const initial = parseSearch(location.search);
  loadModels(initial.model)
    .then((list) => {
      params.models = list;
      applyValues(initial);
      run();
    })
    .catch((e: unknown) => {
      runButton.disabled = true;
      summary.textContent = 'No models to show.';
      showProblem(problemBox, asProblem(e));
    });
}
