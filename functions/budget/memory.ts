/**
 * The memory a computation implies, estimated before it starts from sizes known in advance: the compiled
 * program's tensor sizes (ProgramMeta.memory, from the compiler's shape inference), the batch, the image size.
 * The phases of a computation do not overlap: a run's temporaries are free when it returns (onnxruntime sessions
 * run without a memory arena; the kernel reuses one arena per program), and the result is rendered after the last
 * run. A request's peak is the larger of its runs and its rendering, plus the engine's arrays that live through
 * both (output.ts sizes the rendering).
 */

/** Bytes of a compiled program's forward pass: its weights and its tensors, in all and per sample of a batch. */
export interface ProgramBytes {
  weightBytes: number;
  fixedBytes: number;
  perRowBytes: number;
}

/**
 * One run of a gradient program on `rows` samples. The backward pass makes a gradient for each forward tensor it
 * crosses while the forward tensors it reads stay alive, plus temporaries: about 3x the forward's tensors. The
 * weights are the program's, held once whatever the requests (the program cache counts them).
 */
export function runBytes(p: ProgramBytes, rows: number): number {
  return 3 * (p.fixedBytes + rows * p.perRowBytes);
}

/**
 * The engine's arrays for `batch` samples of `size` values over `steps` steps: the image, the start, the gradient,
 * two optimizer moments, the jitter buffers and the runner's copies in and out, about 10 float32 arrays; and the
 * trace, two numbers per sample and step (8 bytes each).
 */
export function engineBytes(batch: number, size: number, steps: number): number {
  return 10 * 4 * batch * size + 2 * 8 * batch * (steps + 1);
}

/** The larger of the runs and the rendering, on top of the engine's arrays. */
export function peakBytes(engine: number, run: number, rendering: number): number {
  return engine + Math.max(run, rendering);
}
