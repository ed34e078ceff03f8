/**
 * The contract between the planner (plan.ts, TypeScript) and the WebAssembly kernel (wasm/, AssemblyScript):
 * opcodes and argument order of the plan's instructions, and the fields of an ascent job. This file is read by
 * both compilers, so it holds plain integer constants only.
 *
 * A plan is a flat list of i32 words, one instruction after the other: [opcode, length in words, args...].
 * Tensors are byte offsets into the kernel's linear memory; every float tensor is f32, row-major.
 */

// ---- instructions ------------------------------------------------------------------------------------------

/** Y[M,N] = A[M,K] . B + bias (one value per column, or 0): [M, K, N, A, B, Y, flags, bias, mask]
 *  flags: GEMM_TRANS_B (B stored [N,K], else [K,N]), GEMM_RELU (max(0, .) after), GEMM_ROWS (B stored [K,N]: each
 *  row of A on its own, its zero entries skipped; blocked as without the flag when A turns out mostly nonzero).
 *  mask: 0, or a tensor shaped like Y: Y = mask > 0 ? Y : 0 (a ReLU mask of the backward pass, fused so masked dot
 *  products are skipped). */
export const OP_GEMM = 1;
export const GEMM_TRANS_B = 1;
export const GEMM_RELU = 2;
export const GEMM_ROWS = 4;

/** 2-D convolution, NCHW, as im2col + GEMM per sample and group:
 *  [N, C, H, W, M, OH, OW, KH, KW, SY, SX, PT, PL, DY, DX, G, X, Wt, bias, Y, col, relu] */
export const OP_CONV = 2;

/** Its adjoint (ConvTranspose, the input gradient): GEMM with the transposed weights, then col2im.
 *  [N, C(of G), OH, OW (of G), M (channels of Y), H, W (of Y), KH, KW, SY, SX, PT, PL, DY, DX, G(groups), Gin,
 *   Wt (per group [M/G * KH * KW, C/G], transposed at plan time), Y, col] */
export const OP_CONV_T = 3;

/** Max pooling with the arg-max of each window (index in the input plane, -1 when the window is all padding):
 *  [N, C, H, W, OH, OW, KH, KW, SY, SX, PT, PL, DY, DX, X, Y, IDX (0: not kept)] */
export const OP_MAXPOOL = 4;

/** The max-pooling backward: Y = 0, then Y[n, c, IDX[i]] += G[i]: [N, C, PH*PW (of G), H*W (of Y), G, IDX, Y] */
export const OP_UNPOOL = 5;

/** Average pooling: [N, C, H, W, OH, OW, KH, KW, SY, SX, PT, PL, PB, PR, includePad, X, Y] */
export const OP_AVGPOOL = 6;

/** Broadcasting binary op over 4 axes: [kind, d0, d1, d2, d3, as0..as3, bs0..bs3, A, B, Y]
 *  (strides in elements, 0 on broadcast axes; BIN_COPY reads A only: Expand). */
export const OP_BINARY = 7;
export const BIN_ADD = 0;
export const BIN_SUB = 1;
export const BIN_MUL = 2;
export const BIN_DIV = 3;
export const BIN_COPY = 4;

/** Elementwise unary: [kind, n, X, Y] */
export const OP_UNARY = 8;
export const UN_RELU = 0;
export const UN_EXP = 1;
export const UN_NEG = 2;
/** 1 / (1 + exp(-x)) */
export const UN_SIGMOID = 3;

/** Y = T > c ? A : b (a ReLU mask; T, A, Y of n elements, c and b scalars as f32 bits): [n, T, cBits, A, bBits, Y] */
export const OP_SELECT_GT = 9;

/** Softmax or log-softmax of each row: [rows, cols, X, Y, log] */
export const OP_SOFTMAX = 10;

/** Y[o, i] = scale * sum_m X[o, m, i]: [outer, mid, inner, X, Y, scaleBits] */
export const OP_REDUCE = 11;

/** Y = X with axes permuted (rank 4, output-major): [d0, d1, d2, d3, xs0..xs3, X, Y] (xs: X's stride for each
 *  output axis, in elements) */
export const OP_TRANSPOSE = 12;

/** Per-channel affine (inference batch normalization): Y[n, c, i] = X[n, c, i] * S[c] + T[c]: [N, C, inner, X, S, T, Y] */
export const OP_AFFINE = 13;

/** Y = X (n floats): [n, X, Y] */
export const OP_COPY = 14;

// ---- the ascent job: i32 words at job + 4 * J_*, then f64 at job + JOB_FLOATS + 8 * F_* ----------------------

export const JOB_WORDS = 48;
export const JOB_FLOATS = 192;
export const JOB_BYTES = 320;

/** the plan: first word and number of words */
export const J_PLAN = 0;
export const J_PLAN_WORDS = 1;
/** samples in the request; floats per sample */
export const J_BATCH = 2;
export const J_SIZE = 3;
/** samples per run of the plan (the model's fixed batch, or J_BATCH) */
export const J_CHUNK = 4;
/** the plan's own tensors: input, objective weights (rows: 1 or J_CHUNK), gradient, logits, objective (0: from the logits) */
export const J_P_INPUT = 5;
export const J_P_WEIGHTS = 6;
export const J_P_WROWS = 7;
export const J_P_GRAD = 8;
export const J_P_LOGITS = 9;
export const J_P_OBJECTIVE = 10;
/** classes in the logits; objective: TARGET_*; units of the objective weights */
export const J_CLASSES = 11;
export const J_TARGET = 12;
export const J_UNITS = 13;
/** state: x, x0 (start), g, optimizer moments m and v; OPT_* */
export const J_X = 14;
export const J_X0 = 15;
export const J_G = 16;
export const J_M = 17;
export const J_V = 18;
export const J_OPTIMIZER = 19;
/** image layout */
export const J_HEIGHT = 20;
export const J_WIDTH = 21;
export const J_CHANNELS = 22;
export const J_CHANNELS_LAST = 23;
/** constraints: mask (u8 per element of a sample, 0: none), NORM_* */
export const J_MASK = 24;
export const J_NORM = 25;
/** jitter: i32 pairs (dy, dx) per step and sample (0: none); blur: f32 kernel of 2r+1 taps (0: none), r, every k steps */
export const J_SHIFTS = 26;
export const J_BLUR = 27;
export const J_BLUR_RADIUS = 28;
export const J_BLUR_EVERY = 29;
/** objective weights: J_BATCH rows of J_UNITS */
export const J_WEIGHTS = 30;
/** Adam's bias corrections 1 / (1 - beta^t): f64 pairs per step (computed by the host, as the TypeScript engine does) */
export const J_ADAM = 31;
/** trace: f64 [steps][batch] objective and probability; i32 [batch] class traced (-1: none) */
export const J_TRACE_OBJECTIVE = 32;
export const J_TRACE_PROBABILITY = 33;
export const J_TRACE_CLASS = 34;
/** outputs of the last evaluation: logits f32 [batch, classes], objective f32 [batch] */
export const J_LOGITS = 35;
export const J_OBJECTIVE = 36;
/** scratch of one sample (J_SIZE floats) */
export const J_TMP = 37;
/** the jittered input of a step (J_BATCH * J_SIZE floats) */
export const J_JITTERED = 38;

export const F_LR = 0;
export const F_MIN = 1;
export const F_MAX = 2;
export const F_EPS = 3;
export const F_L2 = 4;
export const F_L1 = 5;
export const F_TV = 6;
/** the epsilon of Adam and rmsprop (optimizers.ts optimizerEps: 1e-8 per unit of the pixel range) */
export const F_OPT_EPS = 7;

export const TARGET_LOGIT = 0;
export const TARGET_LOGPROB = 1;
export const TARGET_PROB = 2;
export const TARGET_TENSOR = 3;

export const OPT_ADAM = 0;
export const OPT_SGD = 1;
export const OPT_NORMALIZED = 2;
export const OPT_SIGN = 3;
export const OPT_RMSPROP = 4;

export const NORM_LINF = 0;
export const NORM_L2 = 1;
