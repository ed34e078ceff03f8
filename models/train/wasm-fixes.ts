/**
 * Two repairs to the tfjs WebAssembly backend (@tensorflow/tfjs-backend-wasm 4.22.0) that make CNN training
 * practical in Node (tfjs-node cannot be installed here, and the CPU backend needs about an hour per CNN epoch):
 *
 * 1. The wasm backend has no Conv2DBackpropFilter kernel, so the gradient of a convolution's filter fails.
 *    We add one: the input patches are laid out as a [K, M] matrix in JavaScript (K = filterHeight x filterWidth x
 *    inChannels, M = batch x outHeight x outWidth; "im2col") and multiplied by dy as [M, outChannels] with the
 *    backend's own matrix product, which gives the filter gradient in HWIO order.
 * 2. BatchMatMul (and _FusedMatMul) with transposeA/transposeB set run about 10x slower than without. Every dense
 *    layer's backward pass uses them. We replace both kernels with wrappers that transpose the operand first
 *    (the backend's Transpose kernel is fast) and then call the original kernel with both flags off.
 *
 * 3. MaxPoolGrad is the slowest kernel of a CNN training step in the wasm backend (a third of the step time for
 *    the Fashion-MNIST CNN). We replace it with a JavaScript loop that sends each dy value to the first maximum
 *    of its pooling window (row-major window order, as the CPU backend does).
 *
 * All keep float32 semantics; results equal the CPU backend up to summation order.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const BACKEND = 'wasm';
const MARK = Symbol.for('ascent.wasmFix');

type KernelArgs = Parameters<tf.KernelFunc>[0];

function single(out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo {
  if (Array.isArray(out)) throw new Error('expected a single output from a kernel');
  return out;
}

function isFixed(kernelName: string): boolean {
  const k = tf.getKernel(kernelName, BACKEND) as (tf.KernelConfig & { [MARK]?: boolean }) | undefined;
  return k?.[MARK] === true;
}

function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
  tf.registerKernel(Object.assign(config, { [MARK]: true }));
}

/** Swaps the last two axes with the backend's Transpose kernel. The caller disposes the result. */
function transposeLastTwo(x: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  const transpose = tf.getKernel('Transpose', BACKEND).kernelFunc;
  return single(transpose({ inputs: { x }, backend, attrs: { perm } }));
}

/** Wraps a matmul-like kernel (inputs a, b; attrs transposeA, transposeB) so that the flags are never set. */
function withoutTransposeFlags(original: tf.KernelConfig): tf.KernelConfig {
  const inner = original.kernelFunc;
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo => {
    const { transposeA, transposeB } = (attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    if (!transposeA && !transposeB) return single(inner({ inputs, backend, attrs }));
    const wasm = backend as BackendWasm;
    const a = inputs['a']!;
    const b = inputs['b']!;
    const temps: tf.TensorInfo[] = [];
    const a2 = transposeA ? transposeLastTwo(a, wasm) : a;
    const b2 = transposeB ? transposeLastTwo(b, wasm) : b;
    if (transposeA) temps.push(a2);
    if (transposeB) temps.push(b2);
    try {
      return single(inner({
        inputs: { ...inputs, a: a2, b: b2 },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }));
    } finally {
      for (const t of temps) wasm.disposeData(t.dataId);
    }
  };
  const config: tf.KernelConfig = { kernelName: original.kernelName, backendName: BACKEND, kernelFunc };
  if (original.setupFunc) config.setupFunc = original.setupFunc;
  if (original.disposeFunc) config.disposeFunc = original.disposeFunc;
  return config;
}

function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
    tf.backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm fix) supports NHWC only');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm fix) supports float32 only');
  const {
    batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo,
  } = info;
  const K = filterHeight * filterWidth * inChannels;
  const M = batchSize * outHeight * outWidth;
  // Patches matrix [1, K, M]: row k = (fh, fw, ci) in HWI order, column m = (b, oh, ow).
  const cols = wasm.makeOutput([1, K, M], 'float32');
  try {
    // Views into the wasm heap, taken after the last allocation (an allocation may grow and detach the heap).
    const xs = wasm.typedArrayFromHeap(x) as Float32Array;
    const c = wasm.typedArrayFromHeap(cols) as Float32Array;
    for (let fh = 0; fh < filterHeight; fh++) {
      for (let fw = 0; fw < filterWidth; fw++) {
        for (let ci = 0; ci < inChannels; ci++) {
          const row = ((fh * filterWidth + fw) * inChannels + ci) * M;
          let m = 0;
          for (let b = 0; b < batchSize; b++) {
            for (let oh = 0; oh < outHeight; oh++) {
              const ih = oh * strideHeight + fh * dilationHeight - padInfo.top;
              const rowInside = ih >= 0 && ih < inHeight;
              const base = (b * inHeight + ih) * inWidth;
              for (let ow = 0; ow < outWidth; ow++, m++) {
                const iw = ow * strideWidth + fw * dilationWidth - padInfo.left;
                c[row + m] = rowInside && iw >= 0 && iw < inWidth ? xs[(base + iw) * inChannels + ci]! : 0;
              }
            }
          }
        }
      }
    }
    const matMul = tf.getKernel('BatchMatMul', BACKEND).kernelFunc;
    const dy3: tf.TensorInfo = { dataId: dy.dataId, shape: [1, M, outChannels], dtype: 'float32' };
    const product = single(matMul({ inputs: { a: cols, b: dy3 }, backend, attrs: { transposeA: false, transposeB: false } }));
    return { dataId: product.dataId, shape: [...filterShape], dtype: 'float32' };
  } finally {
    wasm.disposeData(cols.dataId);
  }
}

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as BackendWasm;
  const dy = inputs['dy']!;
  const input = inputs['input']!;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('MaxPoolGrad (wasm fix) supports float32 only');
  const {
    batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo,
  } = info;
  const out = wasm.makeOutput([...input.shape], 'float32');
  // Views into the wasm heap, taken after the last allocation (an allocation may grow and detach the heap).
  const xs = wasm.typedArrayFromHeap(input) as Float32Array;
  const dys = wasm.typedArrayFromHeap(dy) as Float32Array;
  const dx = wasm.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const C = inChannels;
  // Per output pixel, scan the window once with the channel loop innermost (contiguous in NHWC).
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * C;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - padInfo.top;
      for (let ow = 0; ow < outWidth; ow++, o += C) {
        const w0 = ow * strideWidth - padInfo.left;
        best.fill(-Infinity);
        at.fill(-1);
        for (let fh = 0; fh < filterHeight; fh++) {
          const h = h0 + fh * dilationHeight;
          if (h < 0 || h >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const w = w0 + fw * dilationWidth;
            if (w < 0 || w >= inWidth) continue;
            const base = image + (h * inWidth + w) * C;
            for (let c = 0; c < C; c++) {
              const v = xs[base + c]!;
              if (v > best[c]!) { best[c] = v; at[c] = base + c; }
            }
          }
        }
        for (let c = 0; c < C; c++) {
          const i = at[c]!;
          if (i >= 0) dx[i] = dx[i]! + dys[o + c]!;
        }
      }
    }
  }
  return out;
}

/** Installs the fixes for the wasm backend (idempotent). Call after the backend is initialized. */
export function installWasmFixes(): void {
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    if (!isFixed(name)) replaceKernel(withoutTransposeFlags(tf.getKernel(name, BACKEND)));
  }
  if (!isFixed('Conv2DBackpropFilter')) {
    replaceKernel({ kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2DBackpropFilter });
  }
  if (!isFixed('MaxPoolGrad')) {
    replaceKernel({ kernelName: 'MaxPoolGrad', backendName: BACKEND, kernelFunc: maxPoolGrad });
  }
}

/** Switches tfjs to the wasm backend (single-threaded in Node) with the fixes installed. */
export async function useWasmBackend(): Promise<void> {
  if (!(await tf.setBackend(BACKEND))) throw new Error('the tfjs wasm backend failed to initialize');
  await tf.ready();
  installWasmFixes();
}
