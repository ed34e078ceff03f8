/**
 * The upload page: a dropped or chosen .onnx file and its description go to POST /api/v1/models as multipart;
 * the API's problems are shown as it words them (with the list of unsupported ops and nodes), and a successful
 * upload is remembered in this browser (id, title, delete token) before the playground opens on it.
 */
import { problemOf } from './api.ts';
import { byId, clearProblem, el, showProblem } from './ui.ts';
import type { Problem } from './types.ts';

interface Remembered { id: string; title: string; deleteToken?: string; at: string }
const KEY = 'ascent.uploads';

const form = byId<HTMLFormElement>('upload-form');
const drop = byId('drop');
const fileInput = byId<HTMLInputElement>('f-file');
const fileLabel = byId('drop-file');
const status = byId('upload-status');
const problemBox = byId('upload-problem');
const button = byId<HTMLButtonElement>('upload');
let file: File | undefined;

function remembered(): Remembered[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as Remembered[];
  } catch {
    return [];
  }
}

function remember(list: Remembered[]): void {
  localStorage.setItem(KEY, JSON.stringify(list));
  renderMine();
}

function renderMine(): void {
  const list = remembered();
  byId('mine').hidden = list.length === 0;
  byId('mine-rows').replaceChildren(...list.map((u) => {
    const del = el('button', { type: 'button' }, 'Delete');
    del.disabled = !u.deleteToken;
    del.addEventListener('click', async () => {
      const r = await fetch(`/api/v1/models/${u.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${u.deleteToken}` } });
      if (r.status === 204 || r.status === 404) remember(remembered().filter((x) => x.id !== u.id));
      else showProblem(problemBox, await problemOf(r));
    });
    return el('tr', {},
      el('td', {}, el('a', { href: `/?model=${u.id}` }, u.title)),
      el('td', {}, el('code', {}, u.id)),
      el('td', {}, new Date(u.at).toLocaleString()),
      el('td', {}, del));
  }));
}

function choose(f: File | undefined): void {
  file = f;
  fileLabel.textContent = f ? `${f.name} (${(f.size / 1024).toFixed(0)} KiB)` : 'No file chosen.';
}

drop.addEventListener('click', () => fileInput.click());
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    fileInput.click();
  }
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  choose(e.dataTransfer?.files[0]);
});
fileInput.addEventListener('change', () => choose(fileInput.files?.[0]));

/** The description JSON: only the fields the person filled in. */
function description(): Record<string, unknown> {
  const value = (id: string) => byId<HTMLInputElement>(id).value.trim();
  const numbers = (s: string) => s.split(',').map((v) => Number(v.trim()));
  const d: Record<string, unknown> = {};
  if (value('f-title')) d.title = value('f-title');
  if (value('f-labels')) d.labels = value('f-labels').split(',').map((l) => l.trim());
  if (value('f-min') !== '') d.min = Number(value('f-min'));
  if (value('f-max') !== '') d.max = Number(value('f-max'));
  for (const k of ['mean', 'std'] as const) {
    const v = value(`f-${k}`);
    if (v) {
      const list = numbers(v);
      d[k] = list.length === 1 ? list[0] : list;
    }
  }
  if (value('f-input')) d.input = value('f-input');
  if (value('f-output')) d.output = value('f-output');
  return d;
}

/** An unsupported-model problem lists the ops and nodes the compiler cannot handle: show them as a table. */
function showUploadProblem(p: Problem & { problems?: { node: string; opType: string; reason: string }[] }): void {
  showProblem(problemBox, p, (name) => form.querySelector<HTMLElement>(`[data-param="${name}"]`));
  if (p.problems?.length) {
    problemBox.append(el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Op'), el('th', {}, 'Node'), el('th', {}, 'Why'))),
      el('tbody', {}, ...p.problems.map((x) => el('tr', {}, el('td', {}, el('code', {}, x.opType)), el('td', {}, el('code', {}, x.node)), el('td', {}, x.reason)))))));
  }
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearProblem(problemBox, form);
  if (!file) {
    showUploadProblem({ type: 'about:blank', title: 'No file', status: 0, detail: 'Choose or drop the .onnx file to upload first.' });
    drop.focus();
    return;
  }
  const body = new FormData();
  body.set('model', file, file.name);
  body.set('description', JSON.stringify(description()));
  const token = byId<HTMLInputElement>('f-token').value.trim();
  button.disabled = true;
  status.textContent = 'Uploading and checking the model…';
  try {
    const r = await fetch('/api/v1/models', { method: 'POST', body, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!r.ok) {
      status.textContent = '';
      showUploadProblem(await problemOf(r));
      return;
    }
    const info = (await r.json()) as { id: string; title: string; deleteToken?: string; created: boolean };
    const list = remembered().filter((u) => u.id !== info.id);
    const previous = remembered().find((u) => u.id === info.id);
    const deleteToken = info.deleteToken ?? previous?.deleteToken;
    remember([{ id: info.id, title: info.title, ...(deleteToken ? { deleteToken } : {}), at: new Date().toISOString() }, ...list]);
    status.textContent = info.created ? `Uploaded as ${info.id}. Opening the playground…` : `Already uploaded as ${info.id}. Opening the playground…`;
    location.assign(`/?model=${encodeURIComponent(info.id)}`);
  } catch (err) {
    status.textContent = '';
    showUploadProblem({ type: 'about:blank', title: 'Network error', status: 0, detail: `The upload did not reach the API: ${err instanceof Error ? err.message : String(err)}.` });
  } finally {
    button.disabled = false;
  }
});

renderMine();
