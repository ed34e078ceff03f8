/**
 * Ascent's WebAssembly kernel inside workerd, and the built-in models' precompiled programs. workerd compiles no
 * WebAssembly at run time: the kernel is imported as a WebAssembly.Module (wrangler's CompiledWasm rule for
 * *.wasm) and only instantiated here, once per program (each gets its own memory). The packed programs
 * (npm run build:programs) ship as data, each imported when its model is first used.
 */
import kernelModule from '../../kernel/build/kernel.wasm';
import { unpackProgram, type PackedProgram } from '../../kernel/pack.js';
import type { KernelExports } from '../../kernel/executor.js';

export async function instantiateKernel(): Promise<KernelExports> {
  const instance = await WebAssembly.instantiate(kernelModule, {});
  return instance.exports as unknown as KernelExports;
}

const PACKED: Record<string, () => Promise<{ default: ArrayBuffer }>> = {
  'fashion-mlp': () => import('../../kernel/build/programs/fashion-mlp.bin'),
  'fashion-cnn': () => import('../../kernel/build/programs/fashion-cnn.bin'),
};

export const hasBuiltinProgram = (id: string) => Object.hasOwn(PACKED, id);

/** The precompiled program of a built-in model for a class target (logit), if there is one. */
export async function builtinProgram(id: string): Promise<PackedProgram | undefined> {
  if (!hasBuiltinProgram(id)) return undefined;
  const { default: bytes } = await PACKED[id]!();
  return unpackProgram(new Uint8Array(bytes));
}
