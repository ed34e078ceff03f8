/** The built-in models' precompiled programs on disk (npm run build:programs), for Node hosts. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { unpackProgram, type PackedProgram } from '../../kernel/pack.js';

const DIR = new URL('../../kernel/build/programs/', import.meta.url);

export const hasBuiltinProgram = (id: string) => existsSync(fileURLToPath(new URL(`${id}.bin`, DIR)));

export function builtinProgram(id: string): PackedProgram | undefined {
  const file = fileURLToPath(new URL(`${id}.bin`, DIR));
  return existsSync(file) ? unpackProgram(new Uint8Array(readFileSync(file))) : undefined;
}
