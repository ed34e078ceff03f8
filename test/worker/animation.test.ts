/**
 * format=gif inside workerd: the ascent as an animation a standard decoder (omggif) reads back, frame for frame
 * the PNGs of the same request, deterministic and cacheable like every result, and refused clearly when asked
 * for something it cannot be.
 */
import { decode } from 'fast-png';
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { expectProblem, get } from './helpers.js';

/** The frames as a viewer shows them (each drawn over the previous), RGBA. */
function frames(bytes: Uint8Array) {
  const g = new GifReader(bytes);
  const out: Uint8Array[] = [];
  const canvas = new Uint8Array(g.width * g.height * 4);
  for (let i = 0; i < g.numFrames(); i++) {
    g.decodeAndBlitFrameRGBA(i, canvas);
    out.push(canvas.slice());
  }
  return { width: g.width, height: g.height, frames: out, loops: g.loopCount() };
}

/** Pixels of a decoded PNG that differ from an RGBA frame. */
function differences(png: ReturnType<typeof decode>, rgba: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < png.width * png.height; p++) {
    for (let c = 0; c < 3; c++) if (png.data[p * png.channels + (png.channels >= 3 ? c : 0)] !== rgba[4 * p + c]) { n++; break; }
  }
  return n;
}

describe('format=gif', () => {
  it('the default GIF of fashion-mlp: 32 frames of the PNG size, the last one the PNG, under 300 KB, same bytes each time', async () => {
    const url = '/api/v1/maximize?model=fashion-mlp&class=Sneaker&format=gif';
    const r = await get(url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/gif');
    expect(r.headers.get('x-ascent-cache')).toBe('miss');
    const gif = new Uint8Array(await r.arrayBuffer());
    expect(gif.length).toBeLessThan(300_000);
    const d = frames(gif);
    const pngResponse = await get('/api/v1/maximize?model=fashion-mlp&class=Sneaker');
    const png = decode(new Uint8Array(await pngResponse.arrayBuffer()));
    expect(d.frames).toHaveLength(32);
    expect(d.loops).toBe(0);
    expect([d.width, d.height]).toEqual([png.width, png.height]);
    expect(differences(png, d.frames.at(-1)!)).toBe(0);
    // the same numbers in the headers as the PNG's
    expect(r.headers.get('x-ascent-probability')).toBe(pngResponse.headers.get('x-ascent-probability'));
    // earlier frames show other images, with the caption (a dark box at the top-left corner)
    expect(differences(png, d.frames[0]!)).toBeGreaterThan(png.width * png.height / 2);
    expect(d.frames[0]![0]).toBe(0);

    const again = await get('/api/v1/maximize?class=7&format=gif&frame_spacing=log&model=fashion-mlp&frames=32&caption=1');
    expect(again.headers.get('x-ascent-cache')).toBe('hit');
    expect(again.headers.get('etag')).toBe(r.headers.get('etag'));
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(gif);
    expect(r.headers.get('etag')).not.toBe(pngResponse.headers.get('etag'));
    expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('takes frames, linear spacing, no caption, colour maps and restarts; every frame the size of the PNG', async () => {
    const q = 'model=fashion-cnn&class=Bag&steps=40&restarts=4&pick=all&colormap=magma&scale=3';
    const r = await get(`/api/v1/maximize?${q}&format=gif&frames=6&frame_spacing=linear&caption=0`);
    expect(r.status).toBe(200);
    const d = frames(new Uint8Array(await r.arrayBuffer()));
    const png = decode(new Uint8Array(await (await get(`/api/v1/maximize?${q}`)).arrayBuffer()));
    expect(d.frames).toHaveLength(6);
    expect([d.width, d.height]).toEqual([png.width, png.height]);
    expect(differences(png, d.frames.at(-1)!)).toBe(0);
  });

  it('refuses what it cannot do, naming the parameter', async () => {
    for (const [query, parameter] of [
      ['format=png&frames=8', 'frames'],
      ['format=json&caption=0', 'caption'],
      ['format=gif&steps=10&frames=12', 'frames'],
      ['format=gif&frames=129', 'frames'],
      ['format=gif&frames=1', 'frames'],
      ['format=gif&frame_spacing=cubic', 'frame_spacing'],
      ['format=gif&caption=yes', 'caption'],
    ] as const) {
      const p = await expectProblem(await get(`/api/v1/maximize?model=fashion-mlp&class=1&${query}`), 400);
      expect(p.parameter, query).toBe(parameter);
    }
    // frames are part of the cost
    const p = await expectProblem(await get('/api/v1/maximize?model=fashion-mlp&class=1&format=gif&frames=128&scale=32&steps=512'), 422);
    expect(p.detail).toMatch(/frames/);
  });
});
