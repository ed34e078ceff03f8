/**
 * A bounded walk over ONNX protobuf bytes before they are decoded. protobufjs turns every message, string and
 * list entry into a JavaScript value, and the tensor decoder allocates what the dims declare, so a small file
 * can ask for gigabytes (millions of empty nodes, dims [8192, 8192] with no data). This walk reads only the wire
 * format (varint keys, length-delimited fields: protobuf's encoding guide), allocates nothing that grows with
 * the file, and refuses with an OnnxFormatError naming the limit as soon as a count goes over it.
 *
 * The schema lists every field protobufjs decodes (onnx.proto as generated into the onnx-proto package),
 * including functions, training info and sub-graphs, with the wire type it must have: a known field with another
 * wire type is refused, since protobufjs would read it as its declared type and see a different structure.
 */
import { OnnxFormatError } from './errors.js';
import { DTYPE_CODES, bytesPerElement } from './tensor.js';

export interface ReadLimits {
  /** messages, strings and list entries outside tensor data (each becomes a JavaScript value when decoded) */
  maxItems: number;
  /** elements of one tensor (product of its dims) */
  maxTensorElements: number;
  /** bytes of all tensors once decoded: elements x element size, plus 8 per value given in a typed field */
  maxTensorBytes: number;
  /** nesting depth of messages (graphs in attributes, nested types) */
  maxDepth: number;
}

/** Generous enough for any classifier that fits a Worker; the API passes limits derived from its memory budget. */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxItems: 250_000,
  maxTensorElements: 16 * 1024 * 1024,
  maxTensorBytes: 96 * 1024 * 1024,
  maxDepth: 32,
};

/** What the walk counted. */
export interface ScanCounts {
  items: number;
  nodes: number;
  tensors: number;
  /** bytes the tensors need once decoded */
  tensorBytes: number;
  /** elements of the largest tensor */
  largestTensor: number;
}

/** A field's type: a scalar by wire encoding, a repeated number (packed or not), or a message type. */
type Scalar = 'bytes' | 'varint' | 'fixed32' | 'fixed64';
type Repeated = 'varints' | 'fixed32s' | 'fixed64s';
type FieldType = Scalar | Repeated | { message: string };

const m = (message: string): FieldType => ({ message });

// Field numbers and types of onnx.proto (IR version 10), as decoded by the onnx-proto package.
const SCHEMA: Record<string, Record<number, FieldType>> = {
  Model: { 1: 'varint', 8: m('OpsetId'), 2: 'bytes', 3: 'bytes', 4: 'bytes', 5: 'varint', 6: 'bytes', 7: m('Graph'), 14: m('Entry'), 20: m('TrainingInfo'), 25: m('Function') },
  OpsetId: { 1: 'bytes', 2: 'varint' },
  Entry: { 1: 'bytes', 2: 'bytes' },
  TrainingInfo: { 1: m('Graph'), 2: m('Graph'), 3: m('Entry'), 4: m('Entry') },
  Function: { 1: 'bytes', 4: 'bytes', 5: 'bytes', 6: 'bytes', 7: m('Node'), 8: 'bytes', 9: m('OpsetId'), 10: 'bytes' },
  Graph: { 1: m('Node'), 2: 'bytes', 5: m('Tensor'), 15: m('SparseTensor'), 10: 'bytes', 11: m('ValueInfo'), 12: m('ValueInfo'), 13: m('ValueInfo'), 14: m('Annotation') },
  Node: { 1: 'bytes', 2: 'bytes', 3: 'bytes', 4: 'bytes', 7: 'bytes', 5: m('Attribute'), 6: 'bytes' },
  Attribute: {
    1: 'bytes', 21: 'bytes', 13: 'bytes', 20: 'varint', 2: 'fixed32', 3: 'varint', 4: 'bytes', 5: m('Tensor'), 6: m('Graph'),
    22: m('SparseTensor'), 14: m('Type'), 7: 'fixed32s', 8: 'varints', 9: 'bytes', 10: m('Tensor'), 11: m('Graph'),
    23: m('SparseTensor'), 15: m('Type'),
  },
  Tensor: {
    1: 'varints', 2: 'varint', 3: m('Segment'), 4: 'fixed32s', 5: 'varints', 6: 'bytes', 7: 'varints', 8: 'bytes', 12: 'bytes',
    9: 'bytes', 13: m('Entry'), 14: 'varint', 10: 'fixed64s', 11: 'varints',
  },
  Segment: { 1: 'varint', 2: 'varint' },
  SparseTensor: { 1: m('Tensor'), 2: m('Tensor'), 3: 'varints' },
  ValueInfo: { 1: 'bytes', 2: m('Type'), 3: 'bytes' },
  Annotation: { 1: 'bytes', 2: m('Entry') },
  Type: { 1: m('TypeTensor'), 4: m('TypeElement'), 5: m('TypeMap'), 9: m('TypeElement'), 8: m('TypeTensor'), 6: 'bytes' },
  TypeTensor: { 1: 'varint', 2: m('Shape') },
  TypeElement: { 1: m('Type') },
  TypeMap: { 1: 'varint', 2: m('Type') },
  Shape: { 1: m('Dimension') },
  Dimension: { 1: 'varint', 2: 'bytes', 3: 'bytes' },
};

const WIRE: Record<Scalar, number> = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 };
const ELEMENT: Record<Repeated, Scalar> = { varints: 'varint', fixed32s: 'fixed32', fixed64s: 'fixed64' };

/** TensorProto fields that hold tensor values (counted in bytes, not items): float, int32, int64, double, uint64. */
const TENSOR_DATA_FIELDS = new Set([4, 5, 7, 10, 11]);

interface TensorFacts {
  dims: number[];
  dtype: number;
  typed: number;
  name: string;
}

class Walk {
  readonly counts: ScanCounts = { items: 0, nodes: 0, tensors: 0, tensorBytes: 0, largestTensor: 0 };
  private pos = 0;

  constructor(private readonly buf: Uint8Array, private readonly limits: ReadLimits) {}

  fail(why: string): never {
    throw new OnnxFormatError(why);
  }

  malformed(why: string): never {
    return this.fail(`not a valid ONNX file (${why})`);
  }

  /** A varint as a double: exact below 2^53, and larger values only need to compare as large. */
  varint(end: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) this.malformed('a number runs past the end of its field');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return this.malformed('a number is longer than 10 bytes');
  }

  item(n = 1): void {
    this.counts.items += n;
    if (this.counts.items > this.limits.maxItems) {
      this.fail(`the file holds more than ${this.limits.maxItems.toLocaleString('en-US')} protobuf entries (messages, names, list values), the most accepted`);
    }
  }

  /** Moves past one scalar of the given encoding. */
  private skip(kind: Scalar, end: number): void {
    if (kind === 'varint') this.varint(end);
    else if (kind === 'bytes') {
      const n = this.length(end);
      this.pos += n;
    }
    else this.pos += kind === 'fixed32' ? 4 : 8;
    if (this.pos > end) this.malformed('a field runs past the end of its message');
  }

  private length(end: number): number {
    const n = this.varint(end);
    if (this.pos + n > end) this.malformed('a field runs past the end of its message');
    return n;
  }

  /** Walks the fields of a message of `type` in [pos, end). */
  message(type: string, end: number, depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(`messages are nested more than ${this.limits.maxDepth} deep`);
    const schema = SCHEMA[type]!;
    const tensor: TensorFacts | undefined = type === 'Tensor' ? { dims: [], dtype: 1, typed: 0, name: '' } : undefined;
    if (type === 'Node') this.counts.nodes++;
    while (this.pos < end) {
      const key = this.varint(end);
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (field === 0) this.malformed('field number 0');
      const t = schema[field];
      if (t === undefined) {
        // an unknown field: protobufjs skips it without keeping anything
        if (wire === 0) this.skip('varint', end);
        else if (wire === 1) this.skip('fixed64', end);
        else if (wire === 2) this.skip('bytes', end);
        else if (wire === 5) this.skip('fixed32', end);
        else this.malformed(`protobuf wire type ${wire}`);
        continue;
      }
      if (typeof t === 'object') {
        if (wire !== 2) this.malformed(`field ${field} of a ${type} message should be a message`);
        const n = this.length(end);
        const stop = this.pos + n;
        this.item();
        this.message(t.message, stop, depth + 1);
        continue;
      }
      const data = tensor !== undefined && TENSOR_DATA_FIELDS.has(field);
      if (t === 'varints' || t === 'fixed32s' || t === 'fixed64s') {
        const element = ELEMENT[t];
        let count: number;
        if (wire === 2) {
          const n = this.length(end);
          const stop = this.pos + n;
          count = this.packed(element, stop, tensor && field === 1 ? tensor.dims : undefined);
        } else {
          if (wire !== WIRE[element]) this.malformed(`field ${field} of a ${type} message has wire type ${wire}`);
          if (tensor && field === 1) tensor.dims.push(this.varint(end));
          else this.skip(element, end);
          count = 1;
        }
        if (data) tensor.typed += count;
        else this.item(count);
        continue;
      }
      if (wire !== WIRE[t]) this.malformed(`field ${field} of a ${type} message has wire type ${wire}`);
      if (tensor && field === 2) {
        tensor.dtype = this.varint(end);
      } else if (tensor && field === 8) {
        const n = this.length(end);
        tensor.name = new TextDecoder().decode(this.buf.subarray(this.pos, this.pos + Math.min(n, 80)));
        this.pos += n;
      } else {
        this.skip(t, end);
      }
      // raw_data is tensor data (counted with the tensor); everything else is one decoded value
      if (!(tensor && field === 9)) this.item();
    }
    if (this.pos !== end) this.malformed('a message runs past its end');
    if (tensor) this.tensor(tensor);
  }

  /** Counts (and for dims, reads) the values of a packed field in [pos, stop). */
  private packed(kind: Scalar, stop: number, dims?: number[]): number {
    const length = stop - this.pos;
    let count: number;
    if (kind === 'fixed32' || kind === 'fixed64') {
      const width = kind === 'fixed32' ? 4 : 8;
      if (length % width) this.malformed(`a packed field of ${width}-byte values is ${length} bytes long`);
      count = length / width;
      this.pos = stop;
    } else if (dims) {
      count = 0;
      while (this.pos < stop) {
        dims.push(this.varint(stop));
        count++;
      }
    } else {
      count = 0;
      for (let i = this.pos; i < stop; i++) if (this.buf[i]! < 0x80) count++;
      if (length > 0 && this.buf[stop - 1]! >= 0x80) this.malformed('a packed number runs past the end of its field');
      this.pos = stop;
    }
    return count;
  }

  private tensor(t: TensorFacts): void {
    this.counts.tensors++;
    const where = `tensor${t.name ? ` "${t.name}"` : ''}`;
    if (t.dims.length > 32) this.fail(`${where} has ${t.dims.length} dimensions; at most 32 are accepted`);
    let elements = 1;
    for (const d of t.dims) {
      // negative int64 dims arrive as varints of 2^63 and more
      if (d >= 2 ** 63) this.fail(`${where} has a negative dimension`);
      elements *= d;
    }
    const max = this.limits.maxTensorElements;
    if (elements > max) {
      this.fail(`${where} declares dims [${t.dims.join(', ')}] (${elements.toLocaleString('en-US')} elements); at most ${max.toLocaleString('en-US')} elements per tensor are accepted`);
    }
    const width = bytesPerElement(DTYPE_CODES[t.dtype] ?? 'undefined') ?? 0;
    this.counts.largestTensor = Math.max(this.counts.largestTensor, elements);
    this.counts.tensorBytes += elements * width + 8 * t.typed;
    if (this.counts.tensorBytes > this.limits.maxTensorBytes) {
      this.fail(`the tensors of the file need more than ${this.limits.maxTensorBytes.toLocaleString('en-US')} bytes once decoded, the most accepted`);
    }
  }
}

/**
 * Walks a ModelProto's bytes within `limits`; throws an OnnxFormatError naming the limit or the malformation.
 * Cost: one pass over the bytes, and no allocation that grows with them.
 */
export function scanModel(bytes: Uint8Array, limits: ReadLimits = DEFAULT_READ_LIMITS): ScanCounts {
  const walk = new Walk(bytes, limits);
  walk.message('Model', bytes.byteLength, 0);
  return walk.counts;
}
