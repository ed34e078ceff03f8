/**
 * Animated GIF (GIF89a, looping forever) of an indexed animation, with gifenc's LZW encoder. Deterministic:
 * the same frames give the same bytes.
 */
import { GIFEncoder } from './gifenc.js';
import type { IndexedAnimation } from './animation.js';

export function encodeGif(a: IndexedAnimation): Uint8Array<ArrayBuffer> {
  const gif = GIFEncoder({ initialCapacity: 1 << 16 });
  a.frames.forEach((f, i) => {
    gif.writeFrame(f.data, f.width, f.height, {
      // the first frame's palette is the global one; later frames with their own carry a local one
      ...(i === 0 ? { palette: f.palette ?? a.palette, repeat: 0 } : f.palette ? { palette: f.palette } : {}),
      delay: f.delay,
    });
  });
  gif.finish();
  return gif.bytes() as Uint8Array<ArrayBuffer>;
}
