/**
 * Tensors as plain typed arrays, the currency of the ONNX layer.
 *
 * ONNX stores tensor payloads in several ways (raw little-endian bytes or typed repeated fields); this module
 * turns every supported layout into one `Tensor` value and back. int64 is kept as BigInt64Array so that no
 * value is rounded on the way through; `toNumbers` converts small integer tensors (shapes, axes) for arithmetic.
 */

export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool' | 'string' | 'complex64' | 'complex128' | 'undefined';

/** TensorProto.DataType numbering, ONNX spec `onnx.proto` (enum DataType). */
export const DTYPE_CODES: Record<number, DType> = {
  0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64',
  15: 'complex128', 16: 'bfloat16',
};

export function dtypeCode(dtype: DType): number {
  for (const [code, name] of Object.entries(DTYPE_CODES)) if (name === dtype) return Number(code);
  throw new Error(`unknown dtype ${dtype}`);
}

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

const BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8, bool: 1,
};

export function bytesPerElement(dtype: DType): number | undefined {
  return BYTES[dtype];
}

export function allocate(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int8': return new Int8Array(length);
    case 'int16': return new Int16Array(length);
    case 'int32': return new Int32Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'uint8': case 'bool': return new Uint8Array(length);
    case 'uint16': return new Uint16Array(length);
    case 'uint32': return new Uint32Array(length);
    case 'uint64': return new BigUint64Array(length);
    default: throw new Error(`tensors of type ${dtype} are not supported`);
  }
}

/** Copies little-endian raw bytes into a typed array of `dtype` (unaligned input is fine). */
export function fromRawBytes(dtype: DType, bytes: Uint8Array, length: number): TensorData {
  const width = bytesPerElement(dtype);
  if (width === undefined) throw new Error(`tensors of type ${dtype} are not supported`);
  if (bytes.byteLength !== width * length) {
    throw new Error(`raw_data holds ${bytes.byteLength} bytes, the dims need ${width * length}`);
  }
  const out = allocate(dtype, length);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

export function rawBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function tensor(dtype: DType, dims: number[], values: ArrayLike<number> | ArrayLike<bigint>): Tensor {
  const data = allocate(dtype, sizeOf(dims));
  if (data.length !== values.length) throw new Error(`tensor of dims [${dims}] needs ${data.length} values, got ${values.length}`);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] as number | bigint);
  } else {
    for (let i = 0; i < values.length; i++) (data as Float32Array)[i] = Number(values[i]);
  }
  return { dtype, dims: [...dims], data };
}

export const floats = (dims: number[], values: ArrayLike<number>): Tensor => tensor('float32', dims, values);
export const int64s = (values: ArrayLike<number>, dims: number[] = [values.length]): Tensor => tensor('int64', dims, values);
export const scalarFloat = (v: number): Tensor => tensor('float32', [], [v]);

/** Integer tensor values as JS numbers (for shapes, axes, pads). Throws if a value is not a safe integer. */
export function toNumbers(t: Tensor): number[] {
  const out: number[] = [];
  for (const v of t.data as Iterable<number | bigint>) {
    const n = Number(v);
    if (typeof v === 'bigint' && !Number.isSafeInteger(n) && v !== BigInt(n)) {
      // INT64_MAX/INT64_MIN are legal "to the end" markers in Slice; clamp them.
      out.push(v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER);
    } else {
      out.push(n);
    }
  }
  return out;
}

export function toFloat32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  return Float32Array.from(toNumbers(t));
}
