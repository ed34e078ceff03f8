/**
 * Heatmaps of attribution maps (one value per pixel). Signed maps use the diverging map centred on zero (blue
 * negative, white zero, red positive); magnitude maps (magma, viridis, gray) show |value| from dark to bright.
 * Values are scaled by a high quantile of |value| so one extreme pixel does not wash the picture out: Captum's
 * visualize_image_attr clips the top 2 % (outlier_perc = 2); Grad-CAM maps are divided by their maximum, as
 * Selvaraju et al. do. Over an input (overlay) the input is drawn at half brightness and each pixel blends it
 * with the map's colour in proportion to the normalized magnitude, so where the map is near zero the input shows
 * through; signed maps then take one red and one blue of the diverging map (at 3/4 of its range, visible on
 * black and on gray), so the sign reads as hue and the magnitude as opacity.
 */
import { lut, type ColormapName } from './colormap.js';
import type { Raster } from './raster.js';

export interface HeatmapOptions {
  colormap: ColormapName;
  /** fraction of the largest magnitudes that saturate the colour map (0: scale by the maximum) */
  clip: number;
  /** gray levels of the input (height x width), drawn under the map */
  under?: Uint8Array;
}

/** Opacity of the map over the input at normalized magnitude 1. */
const OPACITY = 0.9;

/** The magnitude at which the colour map saturates: the (1 - clip) quantile of |values|. */
export function saturation(values: Float32Array, clip: number): number {
  const mags = Float32Array.from(values, Math.abs).sort();
  if (mags.length === 0) return 0;
  const index = Math.min(mags.length - 1, Math.max(0, Math.ceil((1 - clip) * mags.length) - 1));
  return mags[index]! > 0 ? mags[index]! : mags[mags.length - 1]!;
}

export function heatmap(values: Float32Array, width: number, height: number, o: HeatmapOptions): Raster {
  const s = saturation(values, o.clip);
  const signed = o.colormap === 'diverging';
  const table = lut(o.colormap);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const t = s > 0 ? Math.max(-1, Math.min(1, values[i]! / s)) : 0;
    const shown = o.under && signed ? Math.sign(t) * 0.75 : t;
    const level = signed ? Math.round(127.5 + 127.5 * shown) : Math.round(255 * Math.abs(shown));
    const a = OPACITY * Math.abs(t);
    for (let c = 0; c < 3; c++) {
      const colour = table ? table[3 * level + c]! : level;
      data[3 * i + c] = o.under ? Math.round((1 - a) * (o.under[i]! / 2) + a * colour) : colour;
    }
  }
  return { width, height, channels: 3, data };
}
