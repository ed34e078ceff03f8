/** What every handler gets: the dependencies a host injects (AppDeps) and the per-isolate state built from them. */
import type { CpuModels } from '../budget/cpu.js';
import type { Limits, LimitsConfig } from '../budget/limits.js';
import type { Deflate } from '../encode/png.js';
import type { Ort } from '../engine/ort-types.js';
import type { InstantiateKernel } from '../kernel/executor.js';
import type { PackedProgram } from '../kernel/pack.js';
import type { PriorRegistry } from '../registry/priors.js';
import type { BlobStore } from '../registry/store.js';
import type { Samples } from '../registry/samples.js';
import type { ModelRegistry } from '../registry/types.js';
import type { UploadStore } from '../registry/uploads.js';
import type { ActivityCache } from './activity.js';
import type { ResultCache } from './cache.js';
import type { ExemplarLogits } from './exemplar-logits.js';
import type { LayerPrograms } from './layer-programs.js';
import type { ProgramCache } from './programs.js';
import type { RateLimiter } from './rate-limiter.js';

export interface AppDeps {
  registry: ModelRegistry;
  /** onnxruntime (instantiated on first use: only programs the kernel does not cover, and uploads' trial runs) */
  loadOrt: () => Promise<Ort>;
  /** Ascent's WebAssembly kernel (absent: every program runs on onnxruntime) */
  instantiateKernel?: InstantiateKernel;
  /** the built-in models' precompiled class programs */
  builtinProgram?: (id: string) => PackedProgram | undefined | Promise<PackedProgram | undefined>;
  /** the shipped test images (sample=) */
  samples: () => Samples | undefined;
  cache: ResultCache;
  /** what one request may use (default DEFAULT_LIMITS: a few seconds of CPU) */
  limits?: LimitsConfig;
  /** the engine's cost on this host (default WORKERD_CPU) */
  cpu?: CpuModels;
  /** uploaded models (absent: uploads disabled) */
  uploads?: UploadStore;
  /** where compiled programs are kept between isolates */
  programStore?: BlobStore;
  /** when set, uploads need this bearer token */
  uploadToken?: string;
  /** the learned image priors (prior=); absent: none */
  priors?: PriorRegistry;
  /** the zlib compressor of PNGs (absent: fflate, in JavaScript) */
  deflate?: Deflate;
  /** per-client limits on computations and uploads (absent: none) */
  rateLimiter?: RateLimiter;
}

export interface AppContext extends AppDeps {
  programs: ProgramCache;
  /** the logits of the shipped test images per model (exemplars) */
  exemplars: ExemplarLogits;
  /** per model: the tensors layer= may name, and their units' activity over the shipped images */
  activity: ActivityCache;
  limits: Limits;
  cpu: CpuModels;
  /** Grad-CAM's programs (gradients on a feature map) */
  layerPrograms: LayerPrograms;
}

export type AppEnv = { Variables: { app: AppContext } };
