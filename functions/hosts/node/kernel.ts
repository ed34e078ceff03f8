/** Ascent's WebAssembly kernel in Node (tests, the CLI, benchmarks): compiled once from the built file. */
import { readFileSync } from 'node:fs';
import type { KernelExports } from '../../kernel/executor.js';

const FILE = new URL('../../kernel/build/kernel.wasm', import.meta.url);
let compiled: WebAssembly.Module | undefined;

/** A fresh instance of the kernel (its own memory). Build it first: `npm run build:kernel`. */
export async function instantiateKernel(): Promise<KernelExports> {
  if (!compiled) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(FILE);
    } catch {
      throw new Error(`${FILE.pathname} is missing: build the kernel with \`npm run build:kernel\``);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return (await WebAssembly.instantiate(compiled, {})).exports as unknown as KernelExports;
}
