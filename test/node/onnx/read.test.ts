/**
 * The ONNX reader under hostile input: whatever the bytes, decodeModel returns a model whose tensors fit the
 * limits it was given, or throws an OnnxFormatError that says why. Never another exception, and never an
 * allocation for what a file merely declares (dims without data, millions of empty messages).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OnnxFormatError, decodeModel, type OnnxModel } from '../../../functions/onnx/model.js';
import { DEFAULT_READ_LIMITS, scanModel, type ReadLimits } from '../../../functions/onnx/scan.js';
import { arbModel, arbMutation, encodeModelProto, namedHostileFiles } from '../../hostile/onnx.js';

const SMALL: ReadLimits = { maxItems: 5_000, maxTensorElements: 100_000, maxTensorBytes: 1_000_000, maxDepth: 16 };
const mlp = new Uint8Array(readFileSync(new URL('../../../models/fashion-mlp.onnx', import.meta.url)));

/** 'refused' for an OnnxFormatError; anything else thrown fails the property. */
function read(bytes: Uint8Array, limits: ReadLimits): OnnxModel | 'refused' {
  try {
    return decodeModel(bytes, limits);
  } catch (e) {
    if (e instanceof OnnxFormatError) return 'refused';
    throw e;
  }
}

/** What a decoded model holds stays within the limits it was read with. */
function withinLimits(m: OnnxModel | 'refused', limits: ReadLimits): void {
  if (m === 'refused') return;
  let bytes = 0;
  for (const t of m.graph.initializers.values()) {
    expect(t.data.length).toBe(t.dims.reduce((a, b) => a * b, 1));
    expect(t.data.length).toBeLessThanOrEqual(limits.maxTensorElements);
    bytes += t.data.byteLength;
  }
  expect(bytes).toBeLessThanOrEqual(limits.maxTensorBytes);
  expect(m.graph.nodes.length).toBeLessThanOrEqual(limits.maxItems);
}

describe('the ONNX reader', () => {
  it('reads every shipped model and counts what it holds', () => {
    const counts = scanModel(mlp);
    expect(counts).toMatchObject({ nodes: 7, tensors: 4 });
    expect(counts.tensorBytes).toBe(407_080);
    expect(read(mlp, DEFAULT_READ_LIMITS)).not.toBe('refused');
  });

  it('refuses each named hostile file that asks for too much before decoding it', () => {
    const refused = Object.fromEntries(namedHostileFiles().map((f) => {
      try {
        decodeModel(f.bytes);
        return [f.name, 'decoded'];
      } catch (e) {
        expect(e, f.name).toBeInstanceOf(OnnxFormatError);
        return [f.name, (e as Error).message];
      }
    }));
    expect(refused['initializer [8192, 8192] without data']).toMatch(/\(67,108,864 elements\); at most 16,777,216/);
    expect(refused['initializer [2^40] with raw data of 4 bytes']).toMatch(/1,099,511,627,776 elements/);
    expect(refused['500,000 empty nodes']).toMatch(/more than 250,000 protobuf entries/);
    expect(refused['types nested 1,000 deep']).toMatch(/nested more than 32 deep/);
    expect(refused['a sub-graph in an attribute']).toMatch(/sub-graph/);
    expect(refused['a truncated file']).toMatch(/not a valid ONNX file/);
    // files whose problems are for the compiler are read
    expect(refused['Conv with stride 0']).toBe('decoded');
  });

  it('never throws anything but an OnnxFormatError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => withinLimits(read(bytes, SMALL), SMALL)), { seed: 14, numRuns: 2000 });
  });

  it('never throws anything but an OnnxFormatError on a shipped model with bytes changed, cut or repeated', () => {
    fc.assert(fc.property(arbMutation(mlp), (bytes) => withinLimits(read(bytes, DEFAULT_READ_LIMITS), DEFAULT_READ_LIMITS)), { seed: 14, numRuns: 300 });
  });

  it('keeps generated models with hostile dims, data and attributes within its limits', () => {
    fc.assert(fc.property(arbModel, (proto) => withinLimits(read(encodeModelProto(proto), SMALL), SMALL)), { seed: 14, numRuns: 1000 });
  });
});
