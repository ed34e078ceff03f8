/** Hex digests and tokens: content-addressed ids, program keys, ETags and delete tokens all spell bytes this way. */

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex, two digits a byte. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/** SHA-256 (Web Crypto) of bytes, or of a string's UTF-8, as hex. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/** `n` random bytes as hex (a secret the server shows once). */
export const randomHex = (n: number): string => hex(crypto.getRandomValues(new Uint8Array(n)));
