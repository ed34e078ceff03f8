/**
 * The API reference of the docs page, rendered at page load from /api/v1/openapi.json: one section per
 * operation with its parameters (name, type, default, bounds or enum, description) and responses.
 */
import { asProblem, getJson } from './api.ts';
import { byId, el } from './ui.ts';

interface Schema {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
}

interface OpenApi {
  info?: { title?: string; version?: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

/** The anchor of an operation: op-get-api-v1-maximize. */
export function operationId(method: string, path: string): string {
  return `op-${method}-${path}`.toLowerCase().replace(/[{}]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/-+$/, '');
}

/** What a parameter accepts besides its type: enum values, bounds, length, pattern. */
export function allowedText(s: Schema = {}): string {
  const parts: string[] = [];
  if (s.enum) parts.push(s.enum.map(String).join(' | '));
  const lo = s.minimum !== undefined ? `≥ ${s.minimum}` : s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : undefined;
  const hi = s.maximum !== undefined ? `≤ ${s.maximum}` : undefined;
  if (s.minimum !== undefined && hi) parts.push(`${s.minimum} … ${s.maximum}`);
  else if (lo || hi) parts.push([lo, hi].filter(Boolean).join(', '));
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.pattern) parts.push(`pattern ${s.pattern}`);
  return parts.join('; ');
}

function parameterTable(op: Operation, id: string): HTMLElement {
  const head = el('tr', {}, ...['Name', 'Type', 'Default', 'Allowed', 'Description'].map((h) => el('th', { scope: 'col' }, h)));
  const rows = (op.parameters ?? []).map((p) => {
    const s = p.schema ?? {};
    const name = el('td', {}, el('code', {}, p.name));
    if (p.required) name.append(' ', el('span', { class: 'required' }, 'required'));
    if (p.in !== 'query') name.append(' ', el('span', { class: 'where' }, `(${p.in})`));
    const allowed = allowedText(s);
    // data-label: the column name, shown before each cell when the table is stacked on a narrow screen
    return el('tr', { 'data-param': p.name, id: `${id}-${p.name}` },
      name,
      el('td', { 'data-label': 'Type' }, s.type ?? ''),
      el('td', { 'data-label': 'Default', class: s.default === undefined ? 'empty' : undefined }, s.default !== undefined ? el('code', {}, String(s.default)) : ''),
      el('td', { class: allowed ? 'allowed' : 'allowed empty', 'data-label': 'Allowed' }, allowed),
      el('td', { 'data-label': 'Description', class: p.description ? undefined : 'empty' }, p.description ?? ''));
  });
  return el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': `Parameters of ${id}` },
    el('table', { class: 'params' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}

export function renderReference(doc: OpenApi, into: HTMLElement): void {
  const sections: HTMLElement[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = operationId(method, path);
      const section = el('section', { class: 'operation', id, 'aria-labelledby': `${id}-h` });
      section.append(el('h3', { id: `${id}-h` }, el('span', { class: 'method' }, method.toUpperCase()), ' ', el('code', {}, path)));
      if (op.summary) section.append(el('p', { class: 'summary' }, op.summary));
      if (op.description) section.append(el('p', {}, op.description));
      if (op.parameters?.length) section.append(el('h4', {}, 'Parameters'), parameterTable(op, id));
      if (op.requestBody?.content) section.append(el('p', {}, 'Body: ', ...Object.keys(op.requestBody.content).map((t) => el('code', {}, t))));
      const responses = Object.entries(op.responses ?? {});
      if (responses.length) {
        section.append(el('h4', {}, 'Responses'), el('ul', { class: 'responses' },
          ...responses.map(([code, r]) => el('li', {}, el('code', {}, code), ` ${r.description ?? ''}`))));
      }
      sections.push(section);
    }
  }
  into.replaceChildren(...sections);
}

export function initDocs(): void {
  const status = byId('reference-status');
  const body = byId('reference-body');
  getJson<OpenApi>('/api/v1/openapi.json')
    .then((doc) => {
      renderReference(doc, body);
      status.textContent = `${doc.info?.title ?? 'API'}, version ${doc.info?.version ?? '?'}: ${Object.keys(doc.paths).length} paths.`;
      // the reference arrived after the browser tried to scroll to an anchor inside it
      const target = location.hash.slice(1);
      if (target && body.querySelector(`#${CSS.escape(target)}`)) document.getElementById(target)?.scrollIntoView();
    })
    .catch((e: unknown) => {
      status.textContent = `The API description could not be loaded: ${asProblem(e).detail}`;
    });
}
