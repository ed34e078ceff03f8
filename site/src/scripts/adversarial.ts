/**
 * The adversarial page: a test image, a target class and an eps-ball (param-form.ts); the original, the
 * perturbation (view=delta) and the result as <img> tags on API URLs, the probabilities before (predict) and
 * after (maximize, format=json), the trace of the attack (trace-plot.ts), and the attribution (Integrated
 * Gradients, overlay) of the prediction for the original (sample=) and for the result (its 8-bit pixels as x=).
 */
import { getJson, loadModels } from './api.ts';
import { fmtNum, fmtP } from './format.ts';
import { paramForm } from './param-form.ts';
import { bindSampleHint, mountPicker, sampleUrl, samplesInfo, type Picker } from './picker.ts';
import { parseSearch, toSearch, type Values } from './query.ts';
import { resultView, says } from './result-view.ts';
import { bindRunCycle, startWhenLoaded } from './run-cycle.ts';
import { tracePlot } from './trace-plot.ts';
import type { MaximizeResult, ParamSpec, PredictResult, SampleJson, SamplesInfo } from './types.ts';
import { AddressState, byId, el, pageData } from './ui.ts';
import { decodeBase64Url, encodeBase64Url } from '../../../functions/encode/base64url.ts';
import { defaultSteps } from '../../../functions/api/maximize/defaults.ts';

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
  const { specs } = pageData<{ specs: ParamSpec[] }>('adversarial-data');
  const form = byId<HTMLFormElement>('adv-form');
  const modelSelect = byId<HTMLSelectElement>('f-model');
  const classSelect = byId<HTMLSelectElement>('f-class');
  const sampleInput = byId<HTMLInputElement>('f-sample');
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
  const address = new AddressState('/adversarial/');

  const params = paramForm({
    form, specs, controlled: ADVERSARIAL_CONTROLLED, managed: ['format', 'view'],
    extrasBox: byId('extras'), extrasList: byId('extras-list'),
    defaultClass: (labels) => labels[Math.min(DEFAULT_TARGET, labels.length - 1)] ?? '',
  });
  const view = resultView({ result: byId('result'), runButton, status: byId('status'), problemBox, form });
  const plot = tracePlot(byId('plot') as unknown as SVGSVGElement);
  let samples: SamplesInfo | undefined;
  let picker: Picker | undefined;

  function applyValues(values: Values): void {
    params.apply(values);
    if (sampleInput.value.trim() === '') sampleInput.value = '0';
    params.showExtras();
    picker?.sync();
  }

  function row(name: string, before: string, after: string, key: string): HTMLTableRowElement {
    return el('tr', { 'data-row': key }, el('th', { scope: 'row' }, name), el('td', { class: 'num' }, before), el('td', { class: 'num' }, after));
  }

  /** The API URLs of a query: the images, the JSON result, the prediction of the original. */
  function urls(q: string, values: Values) {
    const src = `/api/v1/maximize?${q}`;
    return {
      result: src,
      delta: `${src}&view=delta`,
      json: `${src}&format=json`,
      predict: `/api/v1/predict?${toSearch([['model', values.model ?? ''], ['sample', values.sample ?? '']])}`,
      sample: `/api/v1/samples/${encodeURIComponent(values.sample ?? '')}`,
    };
  }

  async function compute(q: string): Promise<void> {
    const values = parseSearch(q);
    const u = urls(q, values);
    imgOriginal.src = sampleUrl(Number(values.sample ?? ''), 8);
    imgResult.src = u.result;
    imgDelta.src = u.delta;
    byId<HTMLAnchorElement>('link-result').href = u.result;
    byId<HTMLAnchorElement>('link-delta').href = u.delta;
    byId<HTMLAnchorElement>('link-json').href = u.json;
    byId<HTMLAnchorElement>('link-predict').href = u.predict;
    byId<HTMLAnchorElement>('link-playground').href = `/?${q}`;
    const attrOriginal = `/api/v1/attribute?${toSearch([['model', values.model ?? ''], ['sample', values.sample ?? ''], ['overlay', '1']])}`;
    imgAttrOriginal.src = attrOriginal;
    byId<HTMLAnchorElement>('link-attr-original').href = attrOriginal;
    imgAttrResult.removeAttribute('src');
    for (const cap of [capOriginal, capDelta, capResult, byId('cap-attr-original'), byId('cap-attr-result')]) cap.textContent = '';
    verdict.textContent = '';
    verdict.removeAttribute('data-changed');
    tbody.replaceChildren();
    plot.start(Number(values.steps ?? 0) || defaultSteps(values.prior), classSelect.value || undefined);
    await view.run(async (signal) => {
      const after = getJson<MaximizeResult>(u.json, signal);
      const before = getJson<PredictResult>(u.predict, signal);
      const start = getJson<SampleJson>(u.sample, signal);
      // awaited below; when the ascent fails first (or the run is replaced), their rejections are not unhandled
      for (const p of [before, start]) p.catch(() => {});
      // the ascent's problem first: it names the parameter at fault even when the others fail too
      const r = await after;
      const [p, s] = await Promise.all([before, start]);
      if (signal.aborted) return;
      show(r, p, s, Number(values.eps ?? 0), values.norm);
    }, params.focusParam);
  }

  function show(r: MaximizeResult, p: PredictResult, s: SampleJson, eps: number, norm: string | undefined): void {
    const labels = params.models.find((x) => x.id === r.model)?.labels ?? r.probabilities.map((_, k) => String(k));
    const own = s.class;
    const target = r.class ?? 0;
    const norms = perturbationNorms(r.image.data, decodeBase64Url(s.x), r.image.min, r.image.max);
    imgOriginal.alt = `Test image ${s.index}, a ${s.label}.`;
    imgResult.alt = `Test image ${s.index} perturbed toward ${r.label ?? ''}; the model says ${r.predicted.label}.`;
    imgDelta.alt = `The perturbation: result minus test image ${s.index}, blue where darker, red where brighter.`;
    capOriginal.textContent = `test image ${s.index}, a ${s.label}: the model says ${says(p.predicted.label, p.probabilities[p.predicted.class])}.`;
    capResult.textContent = `the model says ${says(r.predicted.label, r.probabilities[r.predicted.class])}.`;
    capDelta.textContent = `Full colour is a change of ${fmtNum(norms.linf)}; ‖δ‖∞ = ${fmtNum(norms.linf)}, ‖δ‖₂ = ${fmtNum(norms.l2)} (limit ${norm === 'l2' ? '‖δ‖₂' : '‖δ‖∞'} ≤ ${fmtNum(eps)}).`;
    const rows = [row(`${labels[own] ?? own} (the image's class)`, fmtP(p.probabilities[own]), fmtP(r.probabilities[own]), 'original')];
    if (target !== own) rows.push(row(`${labels[target] ?? target} (the target)`, fmtP(p.probabilities[target]), fmtP(r.probabilities[target]), 'target'));
    rows.push(row('the predicted class', `${p.predicted.label} (${fmtP(p.probabilities[p.predicted.class])})`, `${r.predicted.label} (${fmtP(r.probabilities[r.predicted.class])})`, 'predicted'));
    tbody.replaceChildren(...rows);
    const changed = r.predicted.class !== p.predicted.class;
    verdict.dataset.changed = String(changed);
    verdict.textContent = changed
      ? `The prediction changed from ${p.predicted.label} to ${r.predicted.label}${r.predicted.class === target ? ', the target' : ''}, with no pixel moved by more than ${fmtNum(norms.linf)}.`
      : `The prediction stayed ${p.predicted.label}. Allow a larger ε or more steps.`;
    const attrResult = `/api/v1/attribute?${toSearch([['model', r.model], ['x', encodeBase64Url(Uint8Array.from(r.image.levels))], ['overlay', '1']])}`;
    imgAttrResult.src = attrResult;
    byId<HTMLAnchorElement>('link-attr-result').href = attrResult;
    byId('cap-attr-original').textContent = `for ${p.predicted.label}.`;
    byId('cap-attr-result').textContent = `for ${r.predicted.label}.`;
    imgAttrOriginal.alt = `Integrated Gradients of ${p.predicted.label} for test image ${s.index}.`;
    imgAttrResult.alt = `Integrated Gradients of ${r.predicted.label} for the perturbed image.`;
    plot.result(r);
  }

  const run = bindRunCycle({
    form, address, problemBox, query: params.query, unreadable: () => params.unreadable(), focusParam: params.focusParam, compute,
    edited(target) {
      if (target.dataset.param) delete params.extras[target.dataset.param];
      if (target === modelSelect) params.fillClasses(classSelect.value || undefined);
    },
    async restore(values) {
      if (!params.models.length) return false;
      params.models = await loadModels(values.model, params.models).catch(() => params.models);
      applyValues(values);
      describeSample();
      return true;
    },
  });

  // the hint under the index names the chosen image's class
  const describeSample = bindSampleHint(form, sampleInput, byId('f-sample-hint'), () => samples);
  const initial = parseSearch(location.search);
  startWhenLoaded(Promise.all([loadModels(initial.model), samplesInfo()]), ([list, s]) => {
    params.models = list;
    samples = s;
    picker = mountPicker(byId('picker'), sampleInput, s, 8);
    applyValues(initial);
    describeSample();
    run();
  }, runButton, problemBox);
}
