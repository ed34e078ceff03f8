/**
 * The ONNX protobuf schema, from the `onnx-proto` package (protobufjs static code generated from onnx.proto),
 * configured once so that 64-bit integers decode the same way on every host (plain numbers or strings, never
 * Long objects that only exist where `require('long')` happens to work).
 */
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
// Writing: the plain writer (its own UTF-8 encoder) on every host. Where a Node Buffer exists protobufjs picks a
// Buffer writer whose strings of 40+ characters go through Buffer#utf8Write(string, offset), and workerd's
// nodejs_compat Buffer then takes the whole buffer's length as the length left after `offset` and throws
// ERR_OUT_OF_RANGE: an upload whose program has such a name answered 500.
protobuf.Writer.create = () => new protobuf.Writer();

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type IModelProto = onnxProto.onnx.IModelProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;
export type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A protobuf int64 field as a JS number (they arrive as number, string or Long-like depending on size). */
export function int(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return high * 4294967296 + (low >>> 0);
  }
  return Number(v ?? 0);
}

/** The same field as a bigint, exact for the whole int64 range. */
export function bigint(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high) << 32n) | BigInt(low >>> 0);
  }
  return 0n;
}
