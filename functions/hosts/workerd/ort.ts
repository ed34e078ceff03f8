/**
 * onnxruntime-web inside workerd (wrangler dev, the vitest pool, production Workers).
 *
 * workerd refuses to compile WebAssembly from bytes at run time; it only instantiates modules that were
 * uploaded with the worker (wrangler's CompiledWasm rule). So ORT's wasm is imported as a WebAssembly.Module,
 * ORT is told it already has "a binary" (a dummy, so it neither fetches nor looks for a script URL), and the
 * single `WebAssembly.instantiate(bytes, imports)` call that Emscripten then makes is answered with an
 * instance of the imported module. The module (14 MB) is imported when onnxruntime is first needed, not with the
 * Worker: requests on the kernel never touch it.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { Ort } from '../../engine/ort-types.js';

let ready: Promise<Ort> | undefined;

export function loadOrt(): Promise<Ort> {
  ready ??= init();
  return ready;
}

async function init(): Promise<Ort> {
  const { default: ortWasmModule } = await import('onnxruntime-web/ort-wasm-simd-threaded.wasm');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = new Uint8Array(8);
  ort.env.logLevel = 'error';
  const original = WebAssembly.instantiate;
  const patched = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return original(source, imports);
    const instance = await original(ortWasmModule as WebAssembly.Module, imports);
    return { instance, module: ortWasmModule as WebAssembly.Module };
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  try {
    // Creating a first session forces ORT's wasm initialisation while the patch is in place.
    await ort.InferenceSession.create(TINY_IDENTITY_MODEL);
  } finally {
    (WebAssembly as { instantiate: unknown }).instantiate = original;
  }
  return ort as unknown as Ort;
}

/** An ONNX model with a single Identity node (float input "x" to output "y"), 65 bytes, to warm ORT up. */
const TINY_IDENTITY_MODEL = Uint8Array.from(
  atob('CAgSABoAOjMKFAoBeBIBeRoAIghJZGVudGl0eToAEgFnWgsKAXgSBgoECAESAGILCgF5EgYKBAgBEgBCBAoAEBE='),
  (c) => c.charCodeAt(0),
);
