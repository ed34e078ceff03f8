/**
 * An ascent as an animation: every frame is what the PNG of that step would be (colour map, nearest-neighbour
 * enlargement, a grid of restarts with white gaps), as palette indices, with a caption drawn over all frames but
 * the last. The last frame is the result itself, pixel for pixel the PNG, and stays up longest.
 *
 * Palettes: a single-channel image's 256 levels are the palette (the colour map's 256 colours), so gray and
 * colour-mapped frames are exact and need no quantization; the caption uses the palette's darkest and lightest
 * colours, and a grid's white gaps a level the frame does not use (a frame of its own palette). Colour (RGB) frames get a palette of their own colours when they have at most 256, else the
 * 256 colours gifenc's quantizer (pairwise nearest neighbour) picks for them.
 */
import { quantize, applyPalette } from './gifenc.js';
import { drawCaption, type CaptionInk, type IndexRaster } from './caption.js';
import { lut, type ColormapName } from './colormap.js';
import { enlarge, tile, type Raster } from './raster.js';

export type Rgb = [number, number, number];

export interface AnimationFrame {
  /** the step this frame shows */
  step: number;
  /** native-size rasters, one per tile (one image, or every restart of a grid); all the same size and channels */
  tiles: Raster[];
  /** the target probability of the image shown (null: none, e.g. a hidden unit's ascent) */
  probability: number | null;
}

export interface AnimationOptions {
  /** the ascent's total steps (the progress bar's 100 %) */
  steps: number;
  colormap: ColormapName;
  scale: number;
  /** grid columns when there are several tiles, and the gap between tiles in pixels */
  columns: number;
  gap: number;
  caption: boolean;
}

export interface IndexedFrame extends IndexRaster {
  /** the frame's own palette, or undefined for the animation's (global) palette */
  palette?: Rgb[];
  /** display time in milliseconds */
  delay: number;
}

export interface IndexedAnimation {
  width: number;
  height: number;
  palette: Rgb[];
  frames: IndexedFrame[];
}

/** Delays: the frames before the last share about 2.4 s (each 20..200 ms, in the GIF's 10 ms units); the result stays 1.5 s. */
export function frameDelays(count: number): number[] {
  const each = Math.min(200, Math.max(20, Math.round(2400 / Math.max(1, count - 1) / 10) * 10));
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? 1500 : each));
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const luminance = (c: Rgb) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const same = (a: Rgb, b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Index of the palette colour nearest to c (squared RGB distance). */
function nearest(palette: Rgb[], c: Rgb): number {
  let best = 0;
  let bestD = Infinity;
  palette.forEach((p, i) => {
    const d = (p[0] - c[0]) ** 2 + (p[1] - c[1]) ** 2 + (p[2] - c[2]) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

/** Enlarges index tiles and lays them out like the PNG; draws the caption unless this is the result frame. */
function compose(indices: Uint8Array[], frame: AnimationFrame, o: AnimationOptions, gapIndex: number, ink: CaptionInk, last: boolean): IndexRaster {
  const first = frame.tiles[0]!;
  const rasters = indices.map((data) => enlarge({ width: first.width, height: first.height, channels: 1, data }, o.scale));
  const r = rasters.length === 1 ? rasters[0]! : tile(rasters, o.columns, o.gap, gapIndex);
  // enlarge(…, 1) returns its input: never draw into the caller's data
  const out: IndexRaster = { width: r.width, height: r.height, data: r.data === indices[0] ? r.data.slice() : r.data };
  if (o.caption && !last) drawCaption(out, frame.step, o.steps, frame.probability, ink);
  return out;
}

/** Single-channel frames: levels are palette indices into the colour map. */
function grayAnimation(frames: AnimationFrame[], o: AnimationOptions): IndexedAnimation {
  const table = lut(o.colormap);
  const palette: Rgb[] = Array.from({ length: 256 }, (_, v) => (table ? [table[3 * v]!, table[3 * v + 1]!, table[3 * v + 2]!] : [v, v, v]));
  const byLuminance = [...palette.keys()].sort((a, b) => luminance(palette[a]!) - luminance(palette[b]!));
  const ink: CaptionInk = { dark: byLuminance[0]!, light: byLuminance[255]! };
  const white = palette.findIndex((c) => same(c, WHITE));
  const delays = frameDelays(frames.length);
  const out = frames.map((f, i): IndexedFrame => {
    const last = i === frames.length - 1;
    if (white >= 0 || f.tiles.length === 1) {
      return { ...compose(f.tiles.map((t) => t.data), f, o, Math.max(0, white), ink, last), delay: delays[i]! };
    }
    // a colour map has no white for the grid's gaps: in this frame's own palette, a level it does not use
    // becomes white (if it uses all 256, the nearest colour stands in)
    const used = new Uint8Array(256);
    for (const t of f.tiles) for (const v of t.data) used[v] = 1;
    const free = [...used.keys()].find((v) => !used[v] && (last || (v !== ink.dark && v !== ink.light)));
    const own = palette.slice();
    if (free !== undefined) own[free] = WHITE;
    return { ...compose(f.tiles.map((t) => t.data), f, o, free ?? nearest(palette, WHITE), ink, last), palette: own, delay: delays[i]! };
  });
  return finish(palette, out);
}

/** Colour frames: each gets its own palette (exact up to 256 colours). */
function colourAnimation(frames: AnimationFrame[], o: AnimationOptions): IndexedAnimation {
  const delays = frameDelays(frames.length);
  const out = frames.map((f, i) => {
    const extras: Rgb[] = [...(o.caption ? [BLACK, WHITE] : []), ...(f.tiles.length > 1 ? [WHITE] : [])];
    const colours = new Map<number, number>();
    const palette: Rgb[] = [];
    const add = (c: Rgb) => {
      const key = (c[0] << 16) | (c[1] << 8) | c[2];
      if (!colours.has(key)) {
        colours.set(key, palette.length);
        palette.push(c);
      }
      return colours.get(key)!;
    };
    for (const c of extras) add(c);
    scan: for (const t of f.tiles) {
      for (let p = 0; p < t.width * t.height; p++) {
        add([t.data[3 * p]!, t.data[3 * p + 1]!, t.data[3 * p + 2]!]);
        if (palette.length > 256) break scan;
      }
    }
    let indices: Uint8Array[];
    let framePalette: Rgb[];
    if (palette.length <= 256) {
      framePalette = palette;
      indices = f.tiles.map((t) => Uint8Array.from({ length: t.width * t.height }, (_, p) => colours.get((t.data[3 * p]! << 16) | (t.data[3 * p + 1]! << 8) | t.data[3 * p + 2]!)!));
    } else {
      const rgba = (t: Raster) => {
        const a = new Uint8Array(t.width * t.height * 4);
        for (let p = 0; p < t.width * t.height; p++) {
          a.set(t.data.subarray(3 * p, 3 * p + 3), 4 * p);
          a[4 * p + 3] = 255;
        }
        return a;
      };
      const all = f.tiles.map(rgba);
      const joined = new Uint8Array(all.reduce((n, a) => n + a.length, 0));
      all.reduce((at, a) => (joined.set(a, at), at + a.length), 0);
      framePalette = [...extras.filter((c, k) => extras.findIndex((d) => same(c, d)) === k), ...(quantize(joined, 256 - 2, { format: 'rgb565' }) as Rgb[])];
      indices = all.map((a) => applyPalette(a, framePalette, 'rgb565'));
    }
    const ink: CaptionInk = { dark: nearest(framePalette, BLACK), light: nearest(framePalette, WHITE) };
    const gap = nearest(framePalette, WHITE);
    return { ...compose(indices, f, o, gap, ink, i === frames.length - 1), palette: framePalette, delay: delays[i]! };
  });
  return finish(out[0]!.palette, out);
}

function finish(palette: Rgb[], frames: IndexedFrame[]): IndexedAnimation {
  return { width: frames[0]!.width, height: frames[0]!.height, palette, frames };
}

/** The animation of `frames` (at least one; the last one is the result). */
export function animate(frames: AnimationFrame[], o: AnimationOptions): IndexedAnimation {
  if (frames.length === 0) throw new Error('an animation needs at least one frame');
  return frames[0]!.tiles[0]!.channels === 1 ? grayAnimation(frames, o) : colourAnimation(frames, o);
}

/** The RGB pixels of one indexed frame (tests, APNG). */
export function frameRgb(a: IndexedAnimation, f: IndexedFrame): Uint8Array {
  const palette = f.palette ?? a.palette;
  const rgb = new Uint8Array(f.width * f.height * 3);
  for (let p = 0; p < f.width * f.height; p++) rgb.set(palette[f.data[p]!]!, 3 * p);
  return rgb;
}
