/**
 * The caption of an animation frame, drawn in pixels over the image: a thin progress bar along the bottom edge
 * (filled to step / steps) and, in small dark boxes at the top corners, the target probability ("p=0.973", left)
 * and the step ("17/256", right). Sizes follow the frame: one font pixel per 112 pixels of the shorter side, so
 * the text is 14 pixels tall on the default 224-pixel image. Text that does not fit is left out, the bar never.
 */
import { GLYPH_HEIGHT, drawText, textWidth } from './font.js';

/** A one-byte-per-pixel raster of palette indices. */
export interface IndexRaster {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Palette indices of the caption's two colours. */
export interface CaptionInk {
  dark: number;
  light: number;
}

/** "p=0.973": three decimals, rounded down so a caption never claims more than the model gives. */
export function formatProbability(p: number): string {
  return `p=${(Math.floor(Math.min(1, Math.max(0, p)) * 1000) / 1000).toFixed(3)}`;
}

function fill(r: IndexRaster, left: number, top: number, right: number, bottom: number, ink: number): void {
  for (let y = Math.max(0, top); y < Math.min(r.height, bottom); y++) r.data.fill(ink, y * r.width + Math.max(0, left), y * r.width + Math.min(r.width, right));
}

/** Draws the caption into `r` in place. `probability` null: no probability text (e.g. a hidden unit's ascent). */
export function drawCaption(r: IndexRaster, step: number, steps: number, probability: number | null, ink: CaptionInk): void {
  const unit = Math.max(1, Math.floor(Math.min(r.width, r.height) / 112));
  const bar = 2 * unit;
  fill(r, 0, r.height - bar, r.width, r.height, ink.dark);
  fill(r, 0, r.height - bar, Math.round((r.width * step) / steps), r.height, ink.light);

  const pad = unit;
  const boxHeight = GLYPH_HEIGHT * unit + 2 * pad;
  if (boxHeight + bar > r.height) return;
  const box = (text: string, left: number) => {
    fill(r, left, 0, left + textWidth(text, unit) + 2 * pad, boxHeight, ink.dark);
    drawText(r.data, r.width, r.height, text, left + pad, pad, unit, ink.light);
  };
  const boxWidth = (text: string) => textWidth(text, unit) + 2 * pad;
  const left = probability === null || Number.isNaN(probability) ? '' : formatProbability(probability);
  const right = `${step}/${steps}`;
  const leftWidth = left ? boxWidth(left) : 0;
  if (left && leftWidth <= r.width) box(left, 0);
  // the step only where it keeps a gap of two font pixels to the probability
  const rightWidth = boxWidth(right);
  if ((left ? leftWidth + 2 * unit : 0) + rightWidth <= r.width && (!left || leftWidth <= r.width)) box(right, r.width - rightWidth);
}
