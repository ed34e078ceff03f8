/**
 * Bad input of any kind gets a clear 4xx problem+json naming the parameter; nothing a client sends makes the
 * worker throw, hang or answer 500.
 */
import { describe, expect, it } from 'vitest';
import { expectProblem, get } from './helpers.js';

const M = '/api/v1/maximize?model=fashion-mlp';

const cases: [string, number, string | null, RegExp][] = [
  [`${M}&clas=7`, 400, 'clas', /Did you mean "class"/],
  [`${M}&class=7&stpes=10`, 400, 'stpes', /Did you mean "steps"/],
  [`${M}`, 400, 'class', /required/],
  ['/api/v1/maximize?class=7', 400, 'model', /required/],
  [`${M}&class=10`, 400, 'class', /0\.\.9/],
  [`${M}&class=Hat`, 400, 'class', /labels/],
  [`${M}&class=7&minus=7`, 400, 'minus', /same class/],
  [`${M}&class=7&steps=0`, 400, 'steps', /integer >= 1/],
  [`${M}&class=7&steps=1e9`, 400, 'steps', /<= 4096/],
  [`${M}&class=7&steps=2.5`, 400, 'steps', /integer/],
  [`${M}&class=7&lr=NaN`, 400, 'lr', /number/],
  [`${M}&class=7&lr=Infinity`, 400, 'lr', /number/],
  [`${M}&class=7&lr=-1`, 400, 'lr', /> 0/],
  [`${M}&class=7&eps=abc`, 400, 'eps', /number/],
  [`${M}&class=7&optimizer=lbfgs`, 400, 'optimizer', /adam/],
  [`${M}&class=7&norm=l3`, 400, 'norm', /linf/],
  [`${M}&class=7&format=webp`, 400, 'format', /gif/],
  [`${M}&class=7&frames=8`, 400, 'frames', /format=gif/],
  [`${M}&class=7&class=8`, 400, 'class', /more than once/],
  [`${M}&class=`, 400, 'class', /empty/],
  [`${M}&class=7&min=0.8&max=0.2`, 400, 'max', /min < max/],
  [`${M}&class=7&min=-5`, 400, 'min', /model's input range/],
  [`${M}&class=7&x=@@@`, 400, 'x', /base64url/],
  [`${M}&class=7&x=AAAA`, 400, 'x', /784 bytes/],
  [`${M}&class=7&sample=100000`, 400, 'sample', /<= 99999/],
  [`${M}&class=7&sample=5000`, 400, 'sample', /< 1000/],
  [`${M}&class=7&sample=1&init=zeros`, 400, 'sample', /init=sample/],
  [`${M}&class=7&init=image`, 400, 'x', /needs "x"/],
  [`${M}&class=7&mask=0,0,40,40`, 400, 'mask', /rectangle/],
  [`${M}&class=7&mask=AAAA`, 400, 'mask', /98 bytes/],
  [`${M}&layer=logits`, 400, 'layer', /needs "unit"/],
  [`${M}&layer=no_such_tensor&unit=0`, 400, 'layer', /no tensor named/],
  [`${M}&layer=logits&unit=99`, 400, 'unit', /< 10/],
  [`${M}&class=7&restarts=0`, 400, 'restarts', />= 1/],
  [`${M}&class=7&scale=100`, 400, 'scale', /<= 32/],
  ['/api/v1/maximize?model=nope&class=1', 404, 'model', /no model "nope"/],
  [`/api/v1/maximize?model=fashion-cnn&class=7&steps=4096&restarts=64`, 422, null, /needs about [\d,]+ ms of CPU time; the limit is 5,000 ms/],
  ['/api/v1/predict?model=fashion-mlp', 400, 'sample', /exactly one/],
  ['/api/v1/predict?model=fashion-mlp&sample=1&x=AAAA', 400, 'x', /exactly one/],
  ['/api/v1/samples/1000', 404, 'index', /no test image/],
  ['/api/v1/samples/abc', 404, 'index', /no test image/],
];

describe('bad input is a clear problem, never a crash', () => {
  it.each(cases)('%s -> %i', async (url, status, parameter, detail) => {
    const p = await expectProblem(await get(url), status);
    if (parameter !== null) expect(p.parameter).toBe(parameter);
    expect(p.detail).toMatch(detail);
  });

  it('refuses a POST body that is not a PNG, an empty body and an oversized body', async () => {
    const post = (body: BodyInit | null, type = 'image/png') => get('/api/v1/predict?model=fashion-mlp', { method: 'POST', body, headers: { 'content-type': type } });
    expect((await expectProblem(await post(new TextEncoder().encode('hello')), 400)).detail).toMatch(/PNG/);
    expect((await expectProblem(await post(new Uint8Array(0)), 400)).detail).toMatch(/empty/);
    expect((await expectProblem(await post(new Uint8Array(2_000_000)), 413)).detail).toMatch(/1048576/);
    expect((await expectProblem(await post('{}', 'application/json'), 415)).detail).toMatch(/image\/png/);
  });

  it('keeps serving after all of that', async () => {
    const r = await get('/api/v1/maximize?model=fashion-mlp&class=1&steps=8');
    expect(r.status).toBe(200);
  });
});
