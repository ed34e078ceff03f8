/**
 * Ascent's WebAssembly kernel inside workerd, and the built-in models' precompiled programs. workerd compiles no
 * WebAssembly at run time: the kernel is imported as a WebAssembly.Module (wrangler's CompiledWasm rule for
 * *.wasm) and only instantiated here, once per program (each gets its own memory). The packed programs
 * (npm run build:programs) ship as data.
 */
import kernelModule from '../../kernel/build/kernel.wasm';
import mlpProgram from '../../kernel/build/programs/fashion-mlp.bin';
import cnnProgram from '../../kernel/build/programs/fashion-cnn.bin';
import { unpackProgram, type PackedProgram } from '../../kernel/pack.js';
import type { KernelExports } from '../../kernel/executor.js';

export async function instantiateKernel(): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(kernelModule, {});
  return instance.exports as unknown as KernelExports;
}

const PACKED: Record<string, ArrayBuffer> = { 'fashion-mlp': mlpProgram, 'fashion-cnn': cnnProgram };

export const hasBuiltinProgram = (id: string) => id in PACKED;

/** The precompiled program of a built-in model for a class target (logit), if there is one. */
export function builtinProgram(id: string): PackedProgram | undefined {
  const bytes = PACKED[id];
  return bytes ? unpackProgram(new Uint8Array(bytes)) : undefined;
}
