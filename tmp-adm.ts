import { graphModel } from './test/hostile/onnx.js';
import { admit } from './functions/api/admission.js';
import { loadOrt } from './functions/hosts/node/ort.js';
import { instantiateKernel } from './functions/hosts/node/kernel.js';
import { WORKERD_CPU } from './functions/budget/cpu.js';
import { DEFAULT_LIMITS } from './functions/budget/limits.js';
const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const ort = await loadOrt();
const chain = (n: number, op: string) => graphModel([...Array.from({ length: n }, (_, i) => ({ opType: op, input: [i ? `t${i - 1}` : 'x'], output: [`t${i}`], name: `r${i}` })), { opType: 'Flatten', input: [`t${n - 1}`], output: ['flat'] }, { opType: 'Gemm', input: ['flat', 'W10'], output: ['out'] }], [{ name: 'W10', dataType: 1, dims: [784, 10], rawData: f32(Array(7840).fill(0.01)) }]);
await admit(chain(1, 'Relu'), { min: 0, max: 1 } as any, ort, { cpu: WORKERD_CPU, limits: DEFAULT_LIMITS });
for (const [n, op] of [[998, 'Relu'], [998, 'Elu'], [998, 'Selu'], [100, 'Selu'], [200, 'Elu']] as const) {
  const t = performance.now();
  try {
    const a = await admit(chain(n, op), { min: 0, max: 1 } as any, ort, { cpu: WORKERD_CPU, limits: DEFAULT_LIMITS, instantiateKernel });
    console.log(n, op, 'admitted', a.info.engine, a.program.meta.nodes, (performance.now() - t).toFixed(0), 'ms');
  } catch (e) { console.log(n, op, 'refused', (performance.now() - t).toFixed(0), 'ms', (e as any).status, String((e as any).body?.().detail).slice(0, 260)); }
}
