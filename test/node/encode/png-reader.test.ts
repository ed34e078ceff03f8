/**
 * The PNG reader under hostile input: it decodes what is a PNG of at most the pixels asked for, and refuses
 * everything else with a PngError saying why, before it inflates more than the header declares.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PngError, decodePng, encodePng, inflatedSize, readPngHeader } from '../../../functions/encode/png.js';
import { arbPng, grayPng, namedHostilePngs } from '../../hostile/png.js';

/** The raster, or 'refused' for a PngError; anything else thrown fails the property. */
function decode(bytes: Uint8Array, maxPixels: number) {
  try {
    return decodePng(bytes, maxPixels);
  } catch (e) {
    if (e instanceof PngError) return 'refused' as const;
    throw e;
  }
}

describe('the PNG reader', () => {
  it('reads back what Ascent encodes, gray and RGB', async () => {
    const gray = grayPng(28, 28);
    expect(decodePng(gray, 784)).toEqual({ width: 28, height: 28, channels: 1, data: Uint8Array.from({ length: 784 }, (_, i) => (i * 37) & 255), text: {} });
    const rgb = { width: 5, height: 3, channels: 3 as const, data: Uint8Array.from({ length: 45 }, (_, i) => i * 5) };
    expect(decodePng(await encodePng(rgb), 15)).toEqual({ ...rgb, text: {} });
    expect(readPngHeader(gray)).toEqual({ width: 28, height: 28, depth: 8, colorType: 0, interlaced: false });
    expect(inflatedSize(readPngHeader(gray))).toBe(28 * 29);
  });

  it('refuses each named hostile PNG with the reason, without inflating beyond the header', () => {
    const reason = Object.fromEntries(namedHostilePngs().map((p) => {
      try {
        decodePng(p.bytes, 784);
        return [p.name, 'decoded'];
      } catch (e) {
        expect(e, p.name).toBeInstanceOf(PngError);
        return [p.name, (e as Error).message];
      }
    }));
    expect(reason['header of 20000x20000 pixels']).toBe('the PNG is 20000x20000; at most 784 pixels are accepted');
    expect(reason['28x28 header, image data that inflates to 16 MB']).toBe('its image data inflates to more than the 812 bytes its header declares');
    expect(reason['a chunk declaring 4 GB']).toMatch(/declares 4294967280 bytes, more than the file holds/);
    expect(reason['width 0']).toMatch(/declares 0x28 pixels/);
    expect(reason['bit depth 3']).toMatch(/bit depth 3 is not allowed/);
    expect(reason['IDAT that is not zlib']).toMatch(/not valid zlib data/);
    expect(reason['palette image']).toMatch(/palette/);
    // a compressed profile is dropped unread
    expect(reason['28x28 with a 16 MB compressed colour profile']).toBe('decoded');
  });

  it('never throws anything but a PngError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => void decode(bytes, 4096)), { seed: 14, numRuns: 2000 });
  });

  it('never decodes more pixels than allowed, whatever the header says', () => {
    fc.assert(fc.property(arbPng, fc.integer({ min: 1, max: 4096 }), (bytes, maxPixels) => {
      const r = decode(bytes, maxPixels);
      if (r !== 'refused') expect(r.width * r.height).toBeLessThanOrEqual(maxPixels);
    }), { seed: 14, numRuns: 1000 });
  });

  it('decodes valid PNGs with bytes changed or cut short, or refuses them', () => {
    const valid = grayPng(28, 28);
    const mutated = fc.oneof(
      fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })
        .map((edits) => { const b = valid.slice(); for (const [i, v] of edits) b[i] = v; return b; }),
      fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    );
    fc.assert(fc.property(mutated, (bytes) => {
      const r = decode(bytes, 784);
      if (r !== 'refused') expect(r.data.length).toBe(r.width * r.height * r.channels);
    }), { seed: 14, numRuns: 1000 });
  });
});
