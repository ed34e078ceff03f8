/**
 * The memory and response size of a maximize request, from what is known before it runs: the compiled program's
 * sizes, the batch and steps, the outputs it renders (the one asked for, and the twin the event stream caches
 * alongside). CPU time has its own model (cpu.ts).
 */
import { engineBytes, peakBytes, runBytes, type ProgramBytes } from './memory.js';
import { gifOutput, gridSide, jsonOutput, maximizeJsonNumbers, pngOutput, type ImageShape, type Rendered } from './output.js';

export interface MaximizeOutput {
  format: 'png' | 'json' | 'gif';
  pick: 'best' | 'all';
  scale: number;
  /** a colour map or an RGB model: 3 bytes a pixel */
  colour: boolean;
  /** format=gif */
  frames?: number;
}

export interface MaximizeSizes {
  program: ProgramBytes;
  /** rows of one run: the batch, or the model's fixed batch size */
  rows: number;
  batch: number;
  image: ImageShape;
  steps: number;
  classes: number;
  /** values of a prior's code per sample (0 without a prior) */
  latent: number;
  outputs: MaximizeOutput[];
}

/** What rendering one output holds and answers. */
export function renderedSize(s: MaximizeSizes, o: MaximizeOutput): Rendered {
  const images = o.pick === 'all' ? s.batch : 1;
  if (o.format === 'json') {
    const size = s.image.height * s.image.width * s.image.channels;
    return jsonOutput(maximizeJsonNumbers({
      samples: 1 + (o.pick === 'all' && s.batch > 1 ? s.batch : 0), summaries: s.batch > 1 ? s.batch : 0,
      classes: s.classes, size, steps: s.steps, latent: s.latent,
    }));
  }
  const { width, height } = gridSide(s.image, images, o.scale);
  return o.format === 'gif' ? gifOutput(o.frames ?? 1, width * height) : pngOutput(width * height, o.colour ? 3 : 1);
}

/** The request's peak memory, and the largest body it makes. */
export function maximizeNeed(s: MaximizeSizes): { memoryBytes: number; responseBytes: number } {
  const rendered = s.outputs.map((o) => renderedSize(s, o));
  const size = s.image.height * s.image.width * s.image.channels;
  return {
    // the outputs are rendered one after the other, each kept until all are cached
    memoryBytes: peakBytes(engineBytes(s.batch, size + s.latent, s.steps), runBytes(s.program, s.rows), rendered.reduce((n, r) => n + r.memoryBytes, 0)),
    responseBytes: Math.max(0, ...rendered.map((r) => r.responseBytes)),
  };
}
