/**
 * The adversarial page: a test image, a target class and an eps-ball; the original, the perturbation
 * (view=delta) and the result as <img> tags on API URLs, and the probabilities before (predict) and after
 * (maximize, format=json); the attribution (Integrated Gradients, overlay) of the prediction for the original
 * (sample=) and for the result (its 8-bit pixels as x=).
 */
import { ApiError, asProblem, getJson, isAbort, loadModels } from './api.ts';
import { fmtNum, fmtP } from './format.ts';
import { labelOfSample, mountPicker, sampleUrl, samplesInfo, type Picker } from './picker.ts';
import { bindRunCycle } from './run-cycle.ts';
import { buildQuery, parseSearch, resolveLabel, toSearch, queryContext, type QueryContext, type Values } from './query.ts';
import type { MaximizeResult, ModelInfo, ParamSpec, PlannedDefaults, PredictResult, Problem, SampleJson, SamplesInfo } from './types.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { AddressState, byId, classOptions, paramControls, clearProblem, el, modelOptions, pageData, setOptions, showProblem } from './ui.ts';

/** Parameters with a control on this page. */
export const ADVERSARIAL_CONTROLLED = ['model', 'sample', 'class', 'eps', 'norm', 'steps', 'optimizer'] as const;
/** The target class of a fresh page: Bag, far from most garments, when the model has it. */
const DEFAULT_TARGET = 8;


/** The L-inf and L2 norms of result - start, with the start given as 8-bit pixels over [min, max]. */
export function perturbationNorms(result: readonly number[], start: Uint8Array, min: number, max: number): { linf: number; l2: number } {
  let linf = 0;
  let sq = 0;
  for (let i = 0; i < result.length; i++) {
    const d = result[i]! - (min + ((start[i] ?? 0) / 255) * (max - min));
    linf = Math.max(linf, Math.abs(d));
    sq += d * d;
  }
  return { linf, l2: Math.sqrt(sq) };
}

export function initAdversarial(): void {
  const data = pageData<{ specs: ParamSpec[]; defaults: Record<string, PlannedDefaults> }>('adversarial-data');
  const form = byId<HTMLFormElement>('adv-form');
  const modelSelect = byId<HTMLSelectElement>('f-model');
  const classSelect = byId<HTMLSelectElement>('f-class');
  const sampleInput = byId<HTMLInputElement>('f-sample');
  const status = byId('status');
  const runButton = byId<HTMLButtonElement>('run');
  const problemBox = byId('problem');
  const imgOriginal = byId<HTMLImageElement>('img-original');
  const imgDelta = byId<HTMLImageElement>('img-delta');
  const imgResult = byId<HTMLImageElement>('img-result');
  const imgAttrOriginal = byId<HTMLImageElement>('img-attr-original');
  const imgAttrResult = byId<HTMLImageElement>('img-attr-result');
  const capOriginal = byId('cap-original');
  const capDelta = byId('cap-delta');
  const capResult = byId('cap-result');
  const verdict = byId('verdict');
  const tbody = byId('compare').querySelector('tbody')!;
  const extrasBox = byId('extras');
  const extrasList = byId('extras-list');
  const address = new AddressState('/adversarial/');

  let models: ModelInfo[] = [];
  let samples: SamplesInfo | undefined;
  let picker: Picker | undefined;
  let extras: Values = {};
  let running: AbortController | undefined;

  const { control, controls } = paramControls(form);
  const currentModel = () => models.find((m) => m.id === modelSelect.value);
  const ctx = (): QueryContext => queryContext(data, currentModel());

  function fillClasses(value: string | undefined): void {
    const labels = currentModel()?.labels ?? [];
    const cls = value === undefined ? undefined : resolveLabel(labels, value) ?? value;
    setOptions(classSelect, classOptions(labels, cls), cls ?? labels[Math.min(DEFAULT_TARGET, labels.length - 1)] ?? '');
  }

  function applyValues(values: Values): void {
    extras = {};
    setOptions(modelSelect, modelOptions(models, values.model), values.model ?? models[0]?.id ?? '');
    fillClasses(values.class);
    for (const c of controls()) {
      const name = c.dataset.param!;
      if (name === 'model' || name === 'class') continue;
      const v = values[name];
      if (c instanceof HTMLSelectElement) {
        if (v !== undefined && ![...c.options].some((o) => o.value === v)) c.append(new Option(`${v} (not accepted here)`, v));
        c.value = v ?? [...c.options].find((o) => o.defaultSelected)?.value ?? c.options[0]?.value ?? '';
      } else {
        c.value = v ?? c.defaultValue;
        if (v !== undefined && v !== '' && c.value === '') extras[name] = v;
      }
    }
    if (sampleInput.value.trim() === '') sampleInput.value = '0';
    const controlled = new Set<string>(ADVERSARIAL_CONTROLLED);
    for (const [k, v] of Object.entries(values)) if (!controlled.has(k) && k !== 'format' && k !== 'view') extras[k] = v;
    extrasBox.hidden = Object.keys(extras).length === 0;
    extrasList.textContent = toSearch(Object.entries(extras));
    picker?.sync();
  }

  function readValues(): Values {
    const v: Values = {};
    for (const c of controls()) v[c.dataset.param!] = c.value.trim();
    return { ...v, ...extras };
  }

  const query = () => toSearch(buildQuery(readValues(), ctx()));

  const focusParam = (name: string): HTMLElement | null => control(name);

  function unreadable(): Problem | undefined {
    for (const c of controls()) {
      if (c instanceof HTMLInputElement && c.validity.badInput) {
        const label = form.querySelector(`label[for="${c.id}"]`)?.textContent?.trim() ?? c.id;
        return { type: 'about:blank', title: 'Not a number', status: 0, detail: `The field “${label}” does not hold a number.`, parameter: c.dataset.param ?? '' };
      }
    }
    return undefined;
  }

  function row(name: string, before: string, after: string, key: string): HTMLTableRowElement {
    return el('tr', { 'data-row': key }, el('th', { scope: 'row' }, name), el('td', { class: 'num' }, before), el('td', { class: 'num' }, after));
  }

  async function compute(q: string): Promise<void> {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    clearProblem(problemBox, form);
    const values = parseSearch(q);
    const model = values.model ?? '';
    const sample = values.sample ?? '';
    const src = `/api/v1/maximize?${q}`;
    const predictUrl = `/api/v1/predict?${toSearch([['model', model], ['sample', sample]])}`;
    imgOriginal.src = sampleUrl(Number(sample), 8);
    imgResult.src = src;
    imgDelta.src = `${src}&view=delta`;
    byId<HTMLAnchorElement>('link-result').href = src;
    byId<HTMLAnchorElement>('link-delta').href = `${src}&view=delta`;
    byId<HTMLAnchorElement>('link-json').href = `${src}&format=json`;
    byId<HTMLAnchorElement>('link-predict').href = predictUrl;
    byId<HTMLAnchorElement>('link-playground').href = `/?${q}`;
    const attrOriginal = `/api/v1/attribute?${toSearch([['model', model], ['sample', sample], ['overlay', '1']])}`;
    imgAttrOriginal.src = attrOriginal;
    byId<HTMLAnchorElement>('link-attr-original').href = attrOriginal;
    imgAttrResult.removeAttribute('src');
    for (const cap of [capOriginal, capDelta, capResult, byId('cap-attr-original'), byId('cap-attr-result')]) cap.textContent = '';
    verdict.textContent = '';
    verdict.removeAttribute('data-changed');
    tbody.replaceChildren();
    status.textContent = 'Running…';
    runButton.textContent = 'Running…';
    byId('result').setAttribute('aria-busy', 'true');
    const signal = controller.signal;
    try {
      const after = getJson<MaximizeResult>(`${src}&format=json`, signal);
      const before = getJson<PredictResult>(predictUrl, signal);
      const start = getJson<SampleJson>(`/api/v1/samples/${encodeURIComponent(sample)}`, signal);
      // awaited below; when the ascent fails first (or the run is replaced), their rejections are not unhandled
      for (const p of [before, start]) p.catch(() => {});
      // the ascent's problem first: it names the parameter at fault even when the others fail too
      const r = await after;
      const [p, s] = await Promise.all([before, start]);
      if (signal.aborted) return;
      const m = models.find((x) => x.id === r.model);
      const labels = m?.labels ?? r.probabilities.map((_, k) => String(k));
      const own = s.class;
      const target = r.class ?? 0;
      const norms = perturbationNorms(r.image.data, decodeBase64Url(s.x), r.image.min, r.image.max);
      const eps = Number(values.eps ?? 0);
      imgOriginal.alt = `Test image ${s.index}, a ${s.label}.`;
      imgResult.alt = `Test image ${s.index} perturbed toward ${r.label ?? ''}; the model says ${r.predicted.label}.`;
      imgDelta.alt = `The perturbation: result minus test image ${s.index}, blue where darker, red where brighter.`;
      capOriginal.textContent = `test image ${s.index}, a ${s.label}: the model says ${p.predicted.label} (p = ${fmtP(p.probabilities[p.predicted.class])}).`;
      capResult.textContent = `the model says ${r.predicted.label} (p = ${fmtP(r.probabilities[r.predicted.class])}).`;
      capDelta.textContent = `Full colour is a change of ${fmtNum(norms.linf)}; ‖δ‖∞ = ${fmtNum(norms.linf)}, ‖δ‖₂ = ${fmtNum(norms.l2)} (limit ${values.norm === 'l2' ? '‖δ‖₂' : '‖δ‖∞'} ≤ ${fmtNum(eps)}).`;
      const attrResult = `/api/v1/attribute?${toSearch([['model', model], ['x', encodeBase64Url(Uint8Array.from(r.image.levels))], ['overlay', '1']])}`;
      imgAttrResult.src = attrResult;
      byId<HTMLAnchorElement>('link-attr-result').href = attrResult;
      byId('cap-attr-original').textContent = `for ${p.predicted.label}.`;
      byId('cap-attr-result').textContent = `for ${r.predicted.label}.`;
      imgAttrOriginal.alt = `Integrated Gradients of ${p.predicted.label} for test image ${s.index}.`;
      imgAttrResult.alt = `Integrated Gradients of ${r.predicted.label} for the perturbed image.`;
      const rows = [row(`${labels[own] ?? own} (the image's class)`, fmtP(p.probabilities[own]), fmtP(r.probabilities[own]), 'original')];
      if (target !== own) rows.push(row(`${labels[target] ?? target} (the target)`, fmtP(p.probabilities[target]), fmtP(r.probabilities[target]), 'target'));
      rows.push(row('the predicted class', `${p.predicted.label} (${fmtP(p.probabilities[p.predicted.class])})`, `${r.predicted.label} (${fmtP(r.probabilities[r.predicted.class])})`, 'predicted'));
      tbody.replaceChildren(...rows);
      const changed = r.predicted.class !== p.predicted.class;
      verdict.dataset.changed = String(changed);
      verdict.textContent = changed
        ? `The prediction changed from ${p.predicted.label} to ${r.predicted.label}${r.predicted.class === target ? ', the target' : ''}, with no pixel moved by more than ${fmtNum(norms.linf)}.`
        : `The prediction stayed ${p.predicted.label}. Allow a larger ε or more steps.`;
      status.textContent = '';
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      showProblem(problemBox, asProblem(e), focusParam);
      status.textContent = e instanceof ApiError ? 'The API refused this request; see the message below.' : 'Something went wrong; see the message below.';
      verdict.textContent = '';
    } finally {
      if (running === controller) {
        running = undefined;
        runButton.textContent = 'Run';
        byId('result').setAttribute('aria-busy', 'false');
      }
    }
  }

  const run = bindRunCycle({
    form, address, problemBox, query, unreadable, focusParam, compute,
    edited(target) {
      if (target.dataset.param) delete extras[target.dataset.param];
      if (target === modelSelect) fillClasses(classSelect.value || undefined);
    },
    async restore(values) {
      if (!models.length) return false;
      models = await loadModels(values.model, models).catch(() => models);
      applyValues(values);
      describeSample();
      return true;
    },
  });

  const initial = parseSearch(location.search);
  Promise.all([loadModels(initial.model), samplesInfo()])
    .then(([list, s]) => {
      models = list;
      samples = s;
      picker = mountPicker(byId('picker'), sampleInput, s, 8);
      applyValues(initial);
      describeSample();
      run();
    })
    .catch((e: unknown) => {
      runButton.disabled = true;
      showProblem(problemBox, asProblem(e));
    });

  // the hint under the index names the chosen image's class
  const hint = byId('f-sample-hint');
  const describeSample = () => {
    const i = Number(sampleInput.value);
    const label = samples && sampleInput.value.trim() !== '' && Number.isInteger(i) ? labelOfSample(samples, i) : undefined;
    hint.textContent = label ? `Test image ${i} is a ${label}. Pick a thumbnail or type an index.` : 'Pick a thumbnail or type an index.';
  };
  sampleInput.addEventListener('input', describeSample);
  form.addEventListener('change', describeSample);
  form.addEventListener('submit', describeSample);
}
