/**
 * The test-image picker: a few thumbnails of every class from /api/v1/samples, as toggle buttons bound to a
 * number input (the `sample` parameter). One tab stop; arrow keys move between thumbnails.
 */
import { getJson } from './api.ts';
import type { SamplesInfo } from './types.ts';
import { el } from './ui.ts';

export const sampleUrl = (i: number, scale = 1) => `/api/v1/samples/${i}?format=png${scale > 1 ? `&scale=${scale}` : ''}`;

let info: Promise<SamplesInfo> | undefined;
/** /api/v1/samples, fetched once per page. */
export function samplesInfo(): Promise<SamplesInfo> {
  info ??= getJson<SamplesInfo>('/api/v1/samples');
  info.catch(() => { info = undefined; });
  return info;
}

export function labelOfSample(s: SamplesInfo, i: number): string | undefined {
  return s.classes.find((c) => i >= c.first && i < c.first + c.count)?.label;
}

export interface Picker {
  /** reflects the input's value in the thumbnails (call after setting the input from outside) */
  sync(): void;
}

export function mountPicker(container: HTMLElement, input: HTMLInputElement, s: SamplesInfo, perClass = 6): Picker {
  const buttons: HTMLButtonElement[] = [];
  const rows = s.classes.map((c) => {
    const row = el('div', { class: 'picker-row', role: 'group', 'aria-label': `Test images of ${c.label}` });
    row.append(el('span', { class: 'picker-label', 'aria-hidden': 'true' }, c.label));
    const thumbs = el('div', { class: 'picker-thumbs' });
    for (let i = c.first; i < c.first + Math.min(perClass, c.count); i++) {
      const b = el('button', { type: 'button', class: 'thumb', 'data-index': String(i), 'aria-pressed': 'false', tabindex: '-1', title: `Test image ${i} (${c.label})` },
        el('img', { src: sampleUrl(i, 2), width: String(s.width * 2), height: String(s.height * 2), alt: `Test image ${i}, ${c.label}`, class: 'pixelated', loading: 'lazy', decoding: 'async' }));
      buttons.push(b);
      thumbs.append(b);
    }
    row.append(thumbs);
    return row;
  });
  // the chosen image, also when it is not one of the thumbnails
  const preview = el('img', { class: 'pixelated', width: String(s.width * 2), height: String(s.height * 2), alt: '' });
  const caption = el('span', { class: 'picker-caption' });
  const chosen = el('div', { class: 'picker-chosen', 'aria-live': 'polite' }, preview, caption);
  container.replaceChildren(chosen, ...rows);
  input.min = '0';
  input.max = String(s.count - 1);

  const sync = () => {
    const v = input.value.trim() === '' ? NaN : Number(input.value);
    const valid = Number.isInteger(v) && v >= 0 && v < s.count;
    chosen.hidden = !valid;
    if (valid) {
      const label = labelOfSample(s, v) ?? '';
      if (preview.getAttribute('src') !== sampleUrl(v, 2)) preview.src = sampleUrl(v, 2);
      preview.alt = `Test image ${v}, ${label}`;
      caption.textContent = `Chosen: test image ${v}, ${label}`;
    }
    let focusable = buttons[0];
    for (const b of buttons) {
      const on = Number(b.dataset.index) === v;
      b.setAttribute('aria-pressed', String(on));
      if (on) focusable = b;
    }
    for (const b of buttons) b.tabIndex = b === focusable ? 0 : -1;
  };
  container.addEventListener('click', (e) => {
    const b = (e.target as Element).closest<HTMLButtonElement>('button.thumb');
    if (!b) return;
    input.value = b.dataset.index ?? '';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    sync();
  });
  container.addEventListener('keydown', (e) => {
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -perClass, ArrowDown: perClass, Home: -at, End: buttons.length - 1 - at }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + step))]!;
    for (const b of buttons) b.tabIndex = b === next ? 0 : -1;
    next.focus();
  });
  input.addEventListener('input', sync);
  sync();
  return { sync };
}

/**
 * The hint under a page's sample input names the chosen test image's class; it follows the input and the form.
 * Returns the function that refreshes it (for when code sets the input).
 */
export function bindSampleHint(form: HTMLFormElement, input: HTMLInputElement, hint: HTMLElement, samples: () => SamplesInfo | undefined): () => void {
  const describe = () => {
    const i = Number(input.value);
    const s = samples();
    const label = s && input.value.trim() !== '' && Number.isInteger(i) ? labelOfSample(s, i) : undefined;
    hint.textContent = label ? `Test image ${i} is a ${label}. Pick a thumbnail or type an index.` : 'Pick a thumbnail or type an index.';
  };
  input.addEventListener('input', describe);
  form.addEventListener('change', describe);
  form.addEventListener('submit', describe);
  return describe;
}
