/**
 * Hostile PNG files: headers that declare far more pixels than the file holds, image data that inflates to far
 * more than the header says (a zip bomb), compressed ancillary chunks, broken chunk lengths; and fast-check
 * arbitraries for more. Shared by the PNG reader's property tests and the workerd catalogue.
 */
import fc from 'fast-check';
import { zlibSync } from 'fflate';
import { encode } from 'fast-png';
import { chunk, pngFile as png } from '../../functions/encode/png.js';

/** Chunks (length, type, data, CRC) and whole files, written by the product's own PNG writer. */
export { chunk, png };

export function ihdr(width: number, height: number, depth = 8, colorType = 0, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const view = new DataView(d.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  d.set([depth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', d);
}

export const iend = () => chunk('IEND', new Uint8Array(0));

/** A valid 8-bit gray PNG of the given pixels. */
export function grayPng(width: number, height: number, fill = (i: number) => (i * 37) & 255): Uint8Array {
  return encode({ width, height, channels: 1, depth: 8, data: Uint8Array.from({ length: width * height }, (_, i) => fill(i)) });
}

export interface HostilePng {
  name: string;
  bytes: Uint8Array;
}

let named: HostilePng[] | undefined;

/** The named hostile PNGs, each a few hundred KB at most. */
export function namedHostilePngs(): HostilePng[] {
  named ??= build();
  return named;
}

function build(): HostilePng[] {
  // 16 MB of zeros deflate to about 16 KB: 20,000 times what a 28x28 header allows
  const bomb = zlibSync(new Uint8Array(16 * 1024 * 1024), { level: 9 });
  const small = zlibSync(new Uint8Array(28 * 29));
  return [
    { name: 'header of 20000x20000 pixels', bytes: png(ihdr(20000, 20000), chunk('IDAT', bomb), iend()) },
    { name: 'header of 2^31-1 x 2^31-1 pixels', bytes: png(ihdr(0x7fffffff, 0x7fffffff), chunk('IDAT', small), iend()) },
    { name: '28x28 header, image data that inflates to 16 MB', bytes: png(ihdr(28, 28), chunk('IDAT', bomb), iend()) },
    { name: '28x28 with a 16 MB compressed colour profile', bytes: png(ihdr(28, 28), chunk('iCCP', new Uint8Array([...new TextEncoder().encode('bomb'), 0, 0, ...bomb])), chunk('IDAT', small), iend()) },
    { name: 'a chunk declaring 4 GB', bytes: png(ihdr(28, 28), Uint8Array.of(0xff, 0xff, 0xff, 0xf0, 0x49, 0x44, 0x41, 0x54, ...new Uint8Array(16)), iend()) },
    { name: 'width 0', bytes: png(ihdr(0, 28), chunk('IDAT', small), iend()) },
    { name: 'bit depth 3', bytes: png(ihdr(28, 28, 3), chunk('IDAT', small), iend()) },
    { name: 'colour type 5', bytes: png(ihdr(28, 28, 8, 5), chunk('IDAT', small), iend()) },
    { name: 'no IDAT', bytes: png(ihdr(28, 28), iend()) },
    { name: 'no IEND', bytes: png(ihdr(28, 28), chunk('IDAT', small)) },
    { name: 'IDAT that is not zlib', bytes: png(ihdr(28, 28), chunk('IDAT', new Uint8Array(64).fill(0xab)), iend()) },
    { name: 'palette image', bytes: png(ihdr(28, 28, 8, 3), chunk('PLTE', new Uint8Array(768)), chunk('IDAT', small), iend()) },
    { name: 'not a PNG (a GIF header)', bytes: new TextEncoder().encode('GIF89a\u0001\u0000\u0001\u0000') },
    { name: 'empty', bytes: new Uint8Array(0) },
  ];
}

/** A PNG with a random (often lying) header and random or real image data. */
export const arbPng: fc.Arbitrary<Uint8Array> = fc.record({
  width: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(20000, 0x7fffffff, 0xffffffff)),
  height: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(20000, 0x7fffffff)),
  depth: fc.constantFrom(1, 2, 4, 8, 16, 3, 0),
  colorType: fc.constantFrom(0, 2, 4, 6, 3, 1),
  interlace: fc.constantFrom(0, 1, 2),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.integer({ min: 0, max: 20000 }).map((n) => zlibSync(new Uint8Array(n).map((_, i) => i & 7))),
  ),
  extra: fc.array(fc.tuple(fc.constantFrom('tEXt', 'iCCP', 'zTXt', 'gAMA', 'IDAT', 'PLTE', 'IHDR'), fc.uint8Array({ maxLength: 32 })), { maxLength: 3 }),
}).map(({ width, height, depth, colorType, interlace, data, extra }) =>
  png(ihdr(width, height, depth, colorType, interlace), ...extra.map(([t, d]) => chunk(t, d)), chunk('IDAT', data), iend()));
