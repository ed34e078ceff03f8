/** onnxruntime-web in Node (tests, the CLI, benchmarks): the package's Node build loads its wasm by itself. */
import * as ort from 'onnxruntime-web';
import type { Ort } from '../../engine/ort-types.js';

let ready: Promise<Ort> | undefined;

export function loadOrt(): Promise<Ort> {
  ready ??= (async () => {
    ort.env.wasm.numThreads = 1;
    ort.env.logLevel = 'error';
    return ort as unknown as Ort;
  })();
  return ready;
}
