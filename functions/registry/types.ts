import type { ImageLayout } from '../engine/image.js';

/**
 * What Ascent knows about a classifier: the public description (`ModelInfo`, what /api/v1/models answers) and
 * the ONNX bytes behind it.
 */

export interface ModelInput {
  /** name of the ONNX graph input */
  name: string;
  /** the image shape a user thinks in, e.g. [28, 28] (height, width) or [32, 32, 3] */
  shape: number[];
  /** the pixel value range the search runs in */
  min: number;
  max: number;
  /** how the model's input tensor holds the image (absent: a single-channel [height, width] image) */
  layout?: ImageLayout;
}

/** The image layout of a model input. */
export function layoutOf(input: ModelInput): ImageLayout {
  if (input.layout) return input.layout;
  const [height, width] = input.shape as [number, number];
  return { height, width, channels: 1, channelsLast: false };
}

/** What runs a program: Ascent's WebAssembly kernel (functions/kernel/) or onnxruntime. */
export type EngineName = 'kernel' | 'onnxruntime';

export interface ModelInfo {
  id: string;
  title: string;
  labels: string[];
  input: ModelInput;
  output: { name: string; kind: 'probabilities' | 'logits' | 'log-probabilities' };
  /** fraction of the test split classified correctly, when known */
  accuracy: number | null;
  sha256: string;
  parameters: number;
  architecture?: string;
  training?: Record<string, unknown>;
  source: 'builtin' | 'upload';
  /**
   * what runs the model's gradient programs: Ascent's WebAssembly kernel when it covers every op of the class
   * program, onnxruntime otherwise (decided when the model is built or uploaded; absent: onnxruntime)
   */
  engine?: EngineName;
  /** uploads: what Ascent recognized in the file */
  recognized?: {
    /** HW, CHW, HWC or flat (see registry/layout.ts) */
    layout: string;
    /** fixed batch size, or 'dynamic' */
    batch: number | 'dynamic';
    inputShape: (number | string | null)[];
    producer: string;
    opset: number;
    ops: Record<string, number>;
  };
  /** uploads: the normalization applied inside the graph, x_model = (pixel - mean) / std */
  preprocessing?: { mean: number[]; std: number[] } | null;
}

export interface ModelRecord {
  info: ModelInfo;
  /** the ONNX file */
  bytes: Uint8Array;
  /** uploads: the key of the stored content, shared by identical uploads (their programs are kept under it) */
  content?: string;
}

/** A host's way to read one of its files by name (undefined: absent); bundled files may be imported on first use. */
export type ReadFile = (file: string) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export interface ModelRegistry {
  list(): Promise<ModelInfo[]>;
  get(id: string): Promise<ModelRecord | undefined>;
}
