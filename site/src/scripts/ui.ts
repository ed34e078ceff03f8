/** Small DOM helpers shared by the pages: element lookup, problem display, clipboard, history. */
import type { Problem } from './types.ts';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no element #${id}.`);
  return el as T;
}

/** Data the page embedded at build time in <script type="application/json" id=...>. */
export function pageData<T>(id: string): T {
  return JSON.parse(byId(id).textContent ?? 'null') as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A form control bound to an API parameter (data-param). */
export type Control = HTMLInputElement | HTMLSelectElement;

/** Lookups of a form's parameter controls: one by parameter name, and all of them. */
export function paramControls(form: HTMLElement): { control: (name: string) => Control | null; controls: () => Control[] } {
  return {
    control: (name) => form.querySelector<Control>(`[data-param="${CSS.escape(name)}"]`),
    controls: () => [...form.querySelectorAll<Control>('[data-param]')],
  };
}

export type OptionList = { value: string; label: string }[];

/** The models as select options, keeping a requested id that is not among them (an upload, or a typo to show). */
export function modelOptions(models: readonly { id: string; title: string }[], requested: string | undefined): OptionList {
  // an upload's id is 34 random characters: it is shown by the title its uploader gave
  const options = models.map((m) => ({ value: m.id, label: /^u-[0-9a-f]{32}$/.test(m.id) ? `${m.title} (uploaded)` : `${m.id}: ${m.title}` }));
  if (requested && !models.some((m) => m.id === requested)) options.push({ value: requested, label: `${requested} (not a known model)` });
  return options;
}

/** A model's labels as select options, keeping a requested class that is not among them. */
export function classOptions(labels: readonly string[], requested: string | undefined): OptionList {
  const options = labels.map((l) => ({ value: l, label: l }));
  if (requested !== undefined && requested !== '' && !labels.includes(requested)) options.push({ value: requested, label: `${requested} (not a class of this model)` });
  return options;
}

export function setOptions(select: HTMLSelectElement, options: readonly { value: string; label: string }[], value: string): void {
  select.replaceChildren(...options.map((o) => new Option(o.label, o.value)));
  select.value = value;
}

/** What a problem's `allowed` field says, as a short phrase. */
export function describeAllowed(allowed: unknown): string | undefined {
  if (Array.isArray(allowed)) {
    const shown = allowed.slice(0, 12).map(String);
    return `one of ${shown.join(', ')}${allowed.length > shown.length ? ', …' : ''}`;
  }
  if (allowed && typeof allowed === 'object') {
    const a = allowed as Record<string, unknown>;
    if (Array.isArray(a.enum)) return describeAllowed(a.enum);
    const parts: string[] = [];
    if (typeof a.type === 'string') parts.push(a.type === 'integer' ? 'an integer' : a.type === 'number' ? 'a number' : a.type);
    if (a.minimum !== undefined) parts.push(`≥ ${String(a.minimum)}`);
    if (a.exclusiveMinimum !== undefined) parts.push(`> ${String(a.exclusiveMinimum)}`);
    if (a.maximum !== undefined) parts.push(`≤ ${String(a.maximum)}`);
    return parts.length ? parts.join(' ') : undefined;
  }
  return undefined;
}

/**
 * Shows problem details in `box` (a role="alert" element): the title, the API's sentence, the parameter at
 * fault (a button that focuses its control, when the page has one) and what it allows.
 */
export function showProblem(box: HTMLElement, p: Problem, focusParam?: (name: string) => HTMLElement | null): void {
  const head = el('p', { class: 'problem-title' }, el('strong', {}, p.title || 'Error'), p.status ? ` (HTTP ${p.status})` : '');
  const detail = el('p', { class: 'problem-detail' }, p.detail);
  box.replaceChildren(head, detail);
  if (p.parameter) {
    const control = focusParam?.(p.parameter) ?? null;
    const name = control
      ? el('button', { type: 'button', class: 'linklike' }, p.parameter)
      : el('code', {}, p.parameter);
    if (control) name.addEventListener('click', () => control.focus());
    const allowed = describeAllowed(p.allowed);
    box.append(el('p', { class: 'problem-param' }, 'Parameter: ', name, allowed ? ` — allowed: ${allowed}` : ''));
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      if (box.id) control.setAttribute('aria-errormessage', box.id);
    }
  }
  if (p.type.startsWith('/docs/')) box.append(el('p', {}, el('a', { href: p.type.replace('/docs/errors#', '/docs/errors/#') }, 'About this kind of error')));
  box.hidden = false;
}

export function clearProblem(box: HTMLElement, scope: ParentNode = document): void {
  box.hidden = true;
  box.replaceChildren();
  for (const c of scope.querySelectorAll('[aria-invalid="true"]')) {
    c.removeAttribute('aria-invalid');
    c.removeAttribute('aria-errormessage');
  }
}

/** Copies text to the clipboard (with the selection-based fallback where the Clipboard API is refused). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el('textarea', { readonly: '', 'aria-hidden': 'true', style: 'position:fixed;left:-9999px;top:0' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/**
 * Page state in the address bar. Edits replace the current history entry (the address is always shareable); a
 * run pushes a new entry and leaves the previous one at the state it ran with, so Back returns to the last run.
 */
export class AddressState {
  private ran: string | null = null;

  constructor(private readonly path: string) {}

  get search(): string {
    return location.search.replace(/^\?/, '');
  }

  href(search: string): string {
    return search ? `${this.path}?${search}` : this.path;
  }

  edit(search: string): void {
    if (search !== this.search) history.replaceState({ search }, '', this.href(search));
  }

  run(search: string): void {
    if (this.ran !== null && this.ran !== search) {
      history.replaceState({ search: this.ran }, '', this.href(this.ran));
      history.pushState({ search }, '', this.href(search));
    } else if (search !== this.search) {
      history.replaceState({ search }, '', this.href(search));
    }
    this.ran = search;
  }

  /** After popstate: the entry's state is the one that ran. */
  popped(): string {
    this.ran = this.search;
    return this.ran;
  }
}
