/**
 * workerd's native zlib (CompressionStream "deflate": RFC 1950, what a PNG's IDAT holds). The bytes go in with one
 * write and come out through the stream's own reader: no Blob, Response or pipe around it. zlib's output does not
 * depend on how its input is split, so these are the bytes any way of feeding the stream gives.
 */
import { concatBytes } from '../../encode/bytes.js';
import type { Deflate } from '../../encode/png.js';

export const nativeDeflate: Deflate = async (raw) => {
  const stream = new CompressionStream('deflate');
  const writer = stream.writable.getWriter();
  // not awaited: the write completes as the reader below takes the output; a failure errors the reader too
  writer.write(raw).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
};
