/**
 * A 5x7 bitmap font for the few characters an animation's caption needs (digits, "p=", "/", "."), so the numbers
 * are drawn in pixels, identically everywhere, without a font file. Each glyph is 7 rows of 5 columns, '#' = ink.
 */

const GLYPHS: Record<string, string> = {
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '####. ....# ....# .###. ....# ....# ####.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  p: '..... ..... ####. #...# ####. #.... #....',
  ' ': '..... ..... ..... ..... ..... ..... .....',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** horizontal distance between the left edges of two characters, in font pixels */
export const ADVANCE = GLYPH_WIDTH + 1;

const BITS = new Map<string, Uint8Array>(Object.entries(GLYPHS).map(([ch, rows]) => {
  const flat = rows.replace(/ /g, '');
  return [ch, Uint8Array.from(flat, (c) => (c === '#' ? 1 : 0))];
}));

/** Whether every character of `text` can be drawn. */
export const drawable = (text: string) => [...text].every((ch) => BITS.has(ch));

/** Width in pixels of `text` drawn at `size` pixels per font pixel. */
export const textWidth = (text: string, size: number) => (text.length === 0 ? 0 : (text.length * ADVANCE - 1) * size);

/**
 * Draws `text` into a one-byte-per-pixel raster (palette indices) with its top-left corner at (left, top), each
 * font pixel a `size` x `size` square of `ink`; pixels outside the raster are skipped.
 */
export function drawText(data: Uint8Array, width: number, height: number, text: string, left: number, top: number, size: number, ink: number): void {
  [...text].forEach((ch, i) => {
    const bits = BITS.get(ch);
    if (!bits) throw new Error(`the caption font has no glyph for ${JSON.stringify(ch)}`);
    const x0 = left + i * ADVANCE * size;
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!bits[gy * GLYPH_WIDTH + gx]) continue;
        for (let dy = 0; dy < size; dy++) {
          const y = top + gy * size + dy;
          if (y < 0 || y >= height) continue;
          for (let dx = 0; dx < size; dx++) {
            const x = x0 + gx * size + dx;
            if (x >= 0 && x < width) data[y * width + x] = ink;
          }
        }
      }
    }
  });
}
