/**
 * The Explain page: an image (a test image, a drawing or an opened PNG, sent as x=), the model's probabilities
 * for it (predict) and every attribution method as an <img> on its /api/v1/attribute URL; the numbers under the
 * maps (Integrated Gradients' completeness, Grad-CAM's layer) come from the same URLs with format=json.
 */
import { ApiError, asProblem, getJson, isAbort, loadModels } from './api.ts';
import { decodeBase64Url, encodeBase64Url } from '../../../functions/encode/base64url.ts';
import { fmtNum, fmtP } from './format.ts';
import { bindSampleHint, mountPicker, sampleUrl, samplesInfo, type Picker } from './picker.ts';
import { bindRunCycle, startWhenLoaded } from './run-cycle.ts';
import { parseSearch, resolveLabel, toSearch, type Values } from './query.ts';
import type { ModelInfo, PredictResult, SamplesInfo } from './types.ts';
import { AddressState, byId, clearProblem, el, modelOptions, pageData, setOptions, showProblem } from './ui.ts';

interface AttributionJson {
  class: number;
  label: string;
  probability: number;
  completeness?: { sum: number; delta: number; relative: number };
  cam?: { layer: string };
}

/** The image's height, width and channels from the model's input description. */
export function inputSize(m: Pick<ModelInfo, 'input'> | undefined): { height: number; width: number; channels: number } {
  const layout = (m?.input as { layout?: { height: number; width: number; channels: number } } | undefined)?.layout;
  if (layout) return { height: layout.height, width: layout.width, channels: layout.channels };
  const [height = 28, width = 28] = m?.input.shape ?? [];
  return { height, width, channels: 1 };
}

/** An RGBA raster to the model's pixels: gray by luma (ITU-R BT.601) for one channel, RGB (HWC) for three. */
export function rasterToPixels(rgba: Uint8ClampedArray, channels: number): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    if (channels === 1) out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else for (let c = 0; c < channels; c++) out[i * channels + c] = [r, g, b][c] ?? 0;
  }
  return out;
}

/** The query of one method's map: the page's image and class, the method, the overlay. */
export function methodQuery(values: Values, method: string): string {
  const pairs: [string, string][] = [['model', values.model ?? '']];
  if (values.class) pairs.push(['class', values.class]);
  if (values.x) pairs.push(['x', values.x]);
  else pairs.push(['sample', values.sample ?? '0']);
  pairs.push(['method', method]);
  if (values.overlay === '1') pairs.push(['overlay', '1']);
  return toSearch(pairs);
}

export function initExplain(): void {
  const data = pageData<{ methods: string[] }>('explain-data');
  const form = byId<HTMLFormElement>('explain-form');
  const modelSelect = byId<HTMLSelectElement>('f-model');
  const classSelect = byId<HTMLSelectElement>('f-class');
  const sampleInput = byId<HTMLInputElement>('f-sample');
  const overlay = byId<HTMLInputElement>('f-overlay');
  const status = byId('status');
  const runButton = byId<HTMLButtonElement>('run');
  const problemBox = byId('problem');
  const imgInput = byId<HTMLImageElement>('img-input');
  const capInput = byId('cap-input');
  const probs = byId('probs');
  const mapsClass = byId('maps-class');
  const canvas = byId<HTMLCanvasElement>('draw');
  const ownStatus = byId('own-status');
  const address = new AddressState('/explain/');

  let models: ModelInfo[] = [];
  let samples: SamplesInfo | undefined;
  let picker: Picker | undefined;
  /** the drawn or opened image as x=, when it is the image explained */
  let x: string | undefined;
  let running: AbortController | undefined;

  const currentModel = () => models.find((m) => m.id === modelSelect.value);

  function fillClasses(value: string | undefined): void {
    const labels = currentModel()?.labels ?? [];
    const cls = value === undefined || value === '' ? '' : resolveLabel(labels, value) ?? value;
    const options = [{ value: '', label: 'the predicted class (default)' }, ...labels.map((l) => ({ value: l, label: l }))];
    if (cls && !labels.includes(cls)) options.push({ value: cls, label: `${cls} (not a class of this model)` });
    setOptions(classSelect, options, cls);
  }

  function applyValues(values: Values): void {
    setOptions(modelSelect, modelOptions(models, values.model), values.model ?? models[0]?.id ?? '');
    fillClasses(values.class);
    x = values.x;
    sampleInput.value = x ? '' : values.sample ?? '0';
    overlay.checked = values.overlay === '1';
    resizeCanvas();
    picker?.sync();
  }

  function readValues(): Values {
    const v: Values = { model: modelSelect.value };
    if (classSelect.value) v.class = classSelect.value;
    if (x) v.x = x;
    else v.sample = sampleInput.value.trim();
    if (overlay.checked) v.overlay = '1';
    return v;
  }

  // the order of the page address: model, class, image, overlay
  const query = () => toSearch(Object.entries(readValues()));

  function setNumbers(method: string, text: string): void {
    byId(`m-${method}`).querySelector('[data-numbers]')!.textContent = text;
  }

  /** One map: its image, links, and the numbers its JSON adds (or the problem when the method does not apply). */
  async function showMethod(values: Values, method: string, signal: AbortSignal): Promise<void> {
    const figure = byId(`m-${method}`);
    const q = methodQuery(values, method);
    const src = `/api/v1/attribute?${q}`;
    const img = figure.querySelector('img')!;
    const name = figure.querySelector('strong')!.textContent ?? method;
    figure.removeAttribute('data-unavailable');
    // Grad-CAM needs a convolution: its picture is asked for once its JSON says the model has one
    if (method === 'gradcam') img.removeAttribute('src');
    else img.src = src;
    img.alt = `${name} map.`;
    figure.querySelector<HTMLAnchorElement>('[data-link="png"]')!.href = src;
    figure.querySelector<HTMLAnchorElement>('[data-link="json"]')!.href = `${src}&format=json`;
    setNumbers(method, '');
    if (method !== 'integrated' && method !== 'gradcam') return;
    try {
      const j = await getJson<AttributionJson>(`/api/v1/attribute?${methodQuery({ ...values, overlay: '' }, method)}&format=json`, signal);
      if (signal.aborted) return;
      if (method === 'gradcam') img.src = src;
      if (j.completeness) {
        const c = j.completeness;
        setNumbers(method, `Completeness: the map sums to ${fmtNum(c.sum)}, f(image) − f(black) = ${fmtNum(c.delta)}; they differ by ${(c.relative * 100).toFixed(2)} %.`);
      }
      if (j.cam) setNumbers(method, `Layer: ${j.cam.layer}.`);
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      figure.dataset.unavailable = 'true';
      img.alt = `${name} is not available for this image and model.`;
      setNumbers(method, `Not available: ${asProblem(e).detail}`);
    }
  }

  function showProbabilities(p: PredictResult, explained: number | undefined): void {
    const labels = currentModel()?.labels ?? p.probabilities.map((_, k) => String(k));
    const order = p.probabilities.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]).slice(0, 10);
    probs.replaceChildren(...order.map(([v, k]) => el('li', { 'data-label': labels[k] ?? String(k), 'data-probability': String(v), 'data-chosen': String(k === explained) },
      el('span', {}, labels[k] ?? String(k)),
      el('span', { class: 'bar', style: `width: ${Math.max(0.5, v * 100).toFixed(1)}%` }),
      el('span', { class: 'p' }, fmtP(v)))));
  }

  async function compute(q: string): Promise<void> {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    const signal = controller.signal;
    clearProblem(problemBox, form);
    const values = parseSearch(q);
    const model = values.model ?? '';
    const image: [string, string] = values.x ? ['x', values.x] : ['sample', values.sample ?? '0'];
    imgInput.src = values.x ? '' : sampleUrl(Number(values.sample), 6);
    if (values.x) drawPixelsInto(imgInput, values.x);
    capInput.textContent = '';
    mapsClass.textContent = '';
    status.textContent = 'Computing…';
    runButton.textContent = 'Computing…';
    byId('result').setAttribute('aria-busy', 'true');
    try {
      const p = await getJson<PredictResult>(`/api/v1/predict?${toSearch([['model', model], image])}`, signal);
      if (signal.aborted) return;
      const labels = currentModel()?.labels ?? [];
      const explained = values.class ? labels.indexOf(resolveLabel(labels, values.class) ?? values.class) : p.predicted.class;
      showProbabilities(p, explained >= 0 ? explained : undefined);
      const what = p.sample ? `Test image ${p.sample.index}, a ${p.sample.label}` : 'Your image';
      capInput.textContent = `${what}: the model says ${p.predicted.label} (p = ${fmtP(p.probabilities[p.predicted.class])}).`;
      imgInput.alt = `${what}; the model says ${p.predicted.label}.`;
      mapsClass.textContent = explained >= 0
        ? `for ${labels[explained] ?? explained}${values.class ? '' : ' (the predicted class)'}, p = ${fmtP(p.probabilities[explained])}`
        : '';
      await Promise.all(data.methods.map((m) => showMethod(values, m, signal)));
      if (!signal.aborted) status.textContent = '';
    } catch (e) {
      if (isAbort(e) || signal.aborted) return;
      showProblem(problemBox, asProblem(e), (name) => (name === 'sample' ? sampleInput : form.querySelector(`[data-param="${CSS.escape(name)}"]`)));
      status.textContent = e instanceof ApiError ? 'The API refused this request; see the message below.' : 'Something went wrong; see the message below.';
    } finally {
      if (running === controller) {
        running = undefined;
        runButton.textContent = 'Explain';
        byId('result').setAttribute('aria-busy', 'false');
      }
    }
  }

  // --- the drawing and opened images: pixels of the model's size, shown and sent as x=
  const ctx2d = canvas.getContext('2d', { willReadFrequently: true })!;
  function resizeCanvas(): void {
    const { height, width } = inputSize(currentModel());
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    if (x) drawPixelsInto(canvas, x);
  }
  function clearCanvas(): void {
    ctx2d.fillStyle = '#000';
    ctx2d.fillRect(0, 0, canvas.width, canvas.height);
  }
  clearCanvas();

  /** Shows base64url pixels of the model's size in an <img> (as a data URL) or on the drawing canvas. */
  function drawPixelsInto(target: HTMLImageElement | HTMLCanvasElement, b64: string): void {
    const { height, width, channels } = inputSize(currentModel());
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64Url(b64);
    } catch {
      return;
    }
    if (bytes.length !== height * width * channels) return;
    const c = target instanceof HTMLCanvasElement ? target : el('canvas', { width: String(width), height: String(height) });
    const g = c.getContext('2d')!;
    const raster = g.createImageData(width, height);
    for (let i = 0; i < height * width; i++) {
      for (let k = 0; k < 3; k++) raster.data[4 * i + k] = bytes[i * channels + (channels === 1 ? 0 : k)]!;
      raster.data[4 * i + 3] = 255;
    }
    g.putImageData(raster, 0, 0);
    if (target instanceof HTMLImageElement) target.src = c.toDataURL('image/png');
  }

  function useCanvas(source: string): void {
    const { channels } = inputSize(currentModel());
    x = encodeBase64Url(rasterToPixels(ctx2d.getImageData(0, 0, canvas.width, canvas.height).data, channels));
    sampleInput.value = '';
    picker?.sync();
    describeSample();
    ownStatus.textContent = `Explaining ${source} (${canvas.width}×${canvas.height}).`;
    form.requestSubmit();
  }

  let drawing = false;
  const paint = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * canvas.width;
    const py = ((e.clientY - r.top) / r.height) * canvas.height;
    ctx2d.fillStyle = '#fff';
    ctx2d.beginPath();
    ctx2d.arc(px, py, Math.max(1, canvas.width / 20), 0, 2 * Math.PI);
    ctx2d.fill();
  };
  canvas.addEventListener('pointerdown', (e) => { drawing = true; canvas.setPointerCapture(e.pointerId); paint(e); });
  canvas.addEventListener('pointermove', (e) => { if (drawing) paint(e); });
  canvas.addEventListener('pointerup', () => { drawing = false; });
  byId('draw-clear').addEventListener('click', () => { clearCanvas(); ownStatus.textContent = 'Cleared.'; });
  byId('draw-use').addEventListener('click', () => useCanvas('your drawing'));
  byId<HTMLInputElement>('file').addEventListener('change', async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      clearCanvas();
      ctx2d.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      useCanvas(file.name);
    } catch {
      ownStatus.textContent = `${file.name} is not an image this browser can read.`;
    }
  });
  // choosing a test image again leaves the own image
  sampleInput.addEventListener('input', () => { x = undefined; });

  const run = bindRunCycle({
    form, address, problemBox, query, compute,
    unreadable: () => undefined,
    focusParam: (name) => (name === 'sample' ? sampleInput : form.querySelector(`[data-param="${CSS.escape(name)}"]`)),
    edited(target) {
      if (target === modelSelect) {
        fillClasses(classSelect.value || undefined);
        resizeCanvas();
      }
    },
    async restore(values) {
      if (!models.length) return false;
      models = await loadModels(values.model, models).catch(() => models);
      applyValues(values);
      return true;
    },
  });

  const describeSample = bindSampleHint(form, sampleInput, byId('f-sample-hint'), () => samples);
  const initial = parseSearch(location.search);
  startWhenLoaded(Promise.all([loadModels(initial.model), samplesInfo().catch(() => undefined)]), ([list, s]) => {
    models = list;
    samples = s;
    if (s) picker = mountPicker(byId('picker'), sampleInput, s, 6);
    applyValues(initial);
    describeSample();
    run();
  }, runButton, problemBox);
}
