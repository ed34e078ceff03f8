/**
 * gifenc (LZW GIF encoding and the PnnQuant colour quantizer) with types. The package ships CommonJS for Node
 * and an ES module for bundlers; this picks the named exports from whichever the host resolved.
 */
import * as gifenc from 'gifenc';

export interface GifFrameOptions {
  palette?: number[][];
  delay?: number;
  repeat?: number;
  transparent?: boolean;
  transparentIndex?: number;
  dispose?: number;
}

export interface GifStream {
  writeFrame(index: Uint8Array, width: number, height: number, options?: GifFrameOptions): void;
  finish(): void;
  bytes(): Uint8Array;
}

interface Gifenc {
  GIFEncoder(options?: { initialCapacity?: number; auto?: boolean }): GifStream;
  quantize(rgba: Uint8Array, maxColors: number, options?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' }): number[][];
  applyPalette(rgba: Uint8Array, palette: number[][], format?: 'rgb565' | 'rgb444' | 'rgba4444'): Uint8Array;
}

const lib = ('GIFEncoder' in gifenc ? gifenc : (gifenc as unknown as { default: Gifenc }).default) as unknown as Gifenc;

export const GIFEncoder = lib.GIFEncoder;
export const quantize = lib.quantize;
export const applyPalette = lib.applyPalette;
