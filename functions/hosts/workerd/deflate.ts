/** workerd's native zlib (CompressionStream "deflate": RFC 1950, what a PNG's IDAT holds). */
import type { Deflate } from '../../encode/png.js';

export const nativeDeflate: Deflate = async (raw) =>
  new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer());
