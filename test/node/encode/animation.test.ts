/**
 * Animations of an ascent: which steps become frames, and the GIF a standard decoder (omggif) reads back: the
 * frame count and size, the caption on every frame but the last, and a last frame equal to the PNG's pixels.
 */
import { GifReader } from 'omggif';
import { describe, expect, it } from 'vitest';
import { animate, type AnimationFrame } from '../../../functions/encode/animation.js';
import { formatProbability } from '../../../functions/encode/caption.js';
import { frameSteps } from '../../../functions/encode/frames.js';
import { encodeGif } from '../../../functions/encode/gif.js';
import { colorize, enlarge, tile, type Raster } from '../../../functions/encode/raster.js';
import { rng } from '../../../functions/engine/prng.js';

function noise(seed: number, channels: 1 | 3, size = 28): Raster {
  const r = rng(seed);
  return { width: size, height: size, channels, data: Uint8Array.from({ length: size * size * channels }, () => Math.floor(r.next() * 256)) };
}

/** Every frame as RGBA, composited as a viewer shows it. */
function decodeGif(bytes: Uint8Array) {
  const g = new GifReader(bytes);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < g.numFrames(); i++) {
    const rgba = new Uint8Array(g.width * g.height * 4);
    g.decodeAndBlitFrameRGBA(i, rgba);
    frames.push(rgba);
  }
  return { width: g.width, height: g.height, frames, loops: g.loopCount(), delays: frames.map((_, i) => g.frameInfo(i).delay) };
}

const rgbOf = (rgba: Uint8Array) => rgba.filter((_, i) => i % 4 !== 3);
/** How many bytes differ (a count, so a failure does not print two large arrays). */
function differences(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
const rgbOfRaster = (r: Raster) => (r.channels === 3 ? r.data : Uint8Array.from({ length: r.width * r.height * 3 }, (_, i) => r.data[Math.floor(i / 3)]!));

describe('frame steps', () => {
  it('are distinct, ascending, from the start to the result, with log spacing crowding the early steps', () => {
    for (const [steps, frames] of [[256, 32], [10, 11], [4096, 128], [1, 2], [100, 2]] as const) {
      for (const spacing of ['log', 'linear'] as const) {
        const t = frameSteps(steps, frames, spacing);
        expect(t).toHaveLength(frames);
        expect(t[0]).toBe(0);
        expect(t.at(-1)).toBe(steps);
        for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
      }
    }
    const log = frameSteps(256, 32, 'log');
    const linear = frameSteps(256, 32, 'linear');
    expect(log.filter((t) => t <= 16).length).toBeGreaterThanOrEqual(16);
    expect(linear.filter((t) => t <= 16).length).toBe(2);
    expect(() => frameSteps(10, 12, 'log')).toThrow(/frames must be 2\.\.11/);
  });
});

describe('GIF animation', () => {
  const steps = 64;
  const at = frameSteps(steps, 8, 'log');

  it('decodes into one frame per step of the PNG size; the last frame is the result, the others carry the caption', () => {
    const frames: AnimationFrame[] = at.map((step, i) => ({ step, probability: i / 8, tiles: [noise(i, 1)] }));
    const o = { steps, colormap: 'viridis' as const, scale: 8, columns: 1, gap: 2, caption: true };
    const gif = encodeGif(animate(frames, o));
    const d = decodeGif(gif);
    expect(d.frames).toHaveLength(8);
    expect([d.width, d.height]).toEqual([224, 224]);
    expect(d.loops).toBe(0);
    expect(d.delays.at(-1)).toBeGreaterThan(d.delays[0]!);
    const png = (r: Raster) => rgbOfRaster(enlarge(colorize(r, 'viridis'), 8));
    expect(differences(rgbOf(d.frames.at(-1)!), png(frames.at(-1)!.tiles[0]!))).toBe(0);
    // a captioned frame differs from its plain image only in the caption: top boxes and the bottom bar
    const plain = png(frames[3]!.tiles[0]!);
    const shown = rgbOf(d.frames[3]!);
    const changed: number[] = [];
    for (let p = 0; p < 224 * 224; p++) {
      if (shown[3 * p] !== plain[3 * p] || shown[3 * p + 1] !== plain[3 * p + 1] || shown[3 * p + 2] !== plain[3 * p + 2]) changed.push(Math.floor(p / 224));
    }
    expect(changed.filter((y) => y >= 18 && y < 220)).toEqual([]);
    expect(changed.length).toBeGreaterThan(500);
    expect(differences(encodeGif(animate(frames, o)), gif)).toBe(0);
  });

  it('lays restarts out as the PNG grid, and keeps colour images exact when they have at most 256 colours', () => {
    // a colour map has no white for the grid's gaps: a level the frame does not use becomes white (the last
    // frame here uses none above 200; the others use every level, and their gaps are the nearest colour)
    const dim = (r: Raster) => ({ ...r, data: r.data.map((v) => Math.min(200, v)) });
    const grid: AnimationFrame[] = at.map((step, i) => {
      const tiles = [noise(i, 1), noise(i + 50, 1), noise(i + 99, 1)];
      return { step, probability: null, tiles: i === at.length - 1 ? tiles.map(dim) : tiles };
    });
    const d = decodeGif(encodeGif(animate(grid, { steps, colormap: 'magma', scale: 2, columns: 2, gap: 2, caption: true })));
    const last = grid.at(-1)!.tiles.map((t) => enlarge(colorize(t, 'magma'), 2));
    expect(differences(rgbOf(d.frames.at(-1)!), tile(last, 2, 2, 255).data)).toBe(0);

    const colour: AnimationFrame[] = at.map((step, i) => ({ step, probability: 0.5, tiles: [noise(i, 3, 8)] }));
    const c = decodeGif(encodeGif(animate(colour, { steps, colormap: 'gray', scale: 4, columns: 1, gap: 2, caption: false })));
    expect(differences(rgbOf(c.frames.at(-1)!), enlarge(colour.at(-1)!.tiles[0]!, 4).data)).toBe(0);
  });

  it('never rounds a probability up', () => {
    expect(formatProbability(0.99996)).toBe('p=0.999');
    expect(formatProbability(1)).toBe('p=1.000');
    expect(formatProbability(0.0004)).toBe('p=0.000');
  });
});
