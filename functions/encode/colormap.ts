/**
 * Colour maps for single-channel images. `gray` is the identity; `viridis` and `magma` are the perceptually
 * uniform maps of matplotlib (van der Walt & Smith), sampled at 9 points and interpolated linearly;
 * `diverging` (blue - white - red) shows signed values such as perturbations, with 128 as zero.
 */

export const COLORMAPS = ['gray', 'viridis', 'magma', 'diverging'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

type Rgb = [number, number, number];

const ANCHORS: Record<Exclude<ColormapName, 'gray'>, Rgb[]> = {
  viridis: [
    [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
  ],
  magma: [
    [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122],
    [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
  ],
  diverging: [
    [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [247, 247, 247],
    [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
  ],
};

function table(anchors: Rgb[]): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const pos = (v / 255) * (anchors.length - 1);
    const i = Math.min(anchors.length - 2, Math.floor(pos));
    const f = pos - i;
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(anchors[i]![c]! * (1 - f) + anchors[i + 1]![c]! * f);
  }
  return lut;
}

const LUTS = new Map<ColormapName, Uint8Array>();

/** 256 RGB triples for a colour map (undefined for gray). */
export function lut(name: ColormapName): Uint8Array | undefined {
  if (name === 'gray') return undefined;
  let t = LUTS.get(name);
  if (!t) {
    t = table(ANCHORS[name]);
    LUTS.set(name, t);
  }
  return t;
}
