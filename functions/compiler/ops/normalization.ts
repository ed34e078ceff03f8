/**
 * BatchNormalization in inference mode (ONNX spec, BatchNormalization):
 *   y = (x - mean) / sqrt(var + eps) * scale + bias       per channel (axis 1)
 *   dx = g * scale / sqrt(var + eps)                        (a per-channel constant)
 */
import { RuleError } from '../errors.js';
import { fmt } from '../shapes.js';
import { tensor } from '../../onnx/tensor.js';
import { attr, shapeOfInfo, withoutAttrs } from './util.js';
import type { RuleTable } from './types.js';

export const normalizationRules: RuleTable = {
  BatchNormalization: {
    legalize: (n) => {
      if (attr.int(n, 'training_mode', 0) === 1) throw new RuleError('training_mode=1; export the model in inference mode');
      if (attr.int(n, 'spatial', 1) !== 1) throw new RuleError('spatial=0 (per-element statistics, opset < 9) is not supported');
      if (n.outputs.slice(1).some((o) => o !== '')) {
        // training-only outputs (running mean/var, saved statistics) that inference graphs sometimes still list
        return [{ ...withoutAttrs(n, 'spatial', 'is_test', 'consumed_inputs', 'momentum', 'training_mode'), outputs: [n.outputs[0]!] }];
      }
      return [withoutAttrs(n, 'spatial', 'is_test', 'consumed_inputs', 'momentum', 'training_mode')];
    },
    infer: (n, cx) => {
      const x = cx.required(0);
      const s = shapeOfInfo(x);
      if (attr.float(n, 'epsilon', 1e-5) < 0) throw new RuleError(`epsilon=${attr.float(n, 'epsilon', 1e-5)} must be >= 0`);
      // scale, bias, mean and variance hold one value per channel (axis 1)
      for (let i = 1; i <= 4; i++) {
        const p = cx.required(i).shape;
        if (p && typeof s[1] === 'number' && (p.length !== 1 || (typeof p[0] === 'number' && p[0] !== s[1]))) {
          throw new RuleError(`input ${i} has shape ${fmt(p)}; the ${s[1]} channels need [${s[1]}]`);
        }
      }
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    vjp: (n, cx) => {
      if ([1, 2, 3, 4].some((i) => cx.needs(i))) throw new RuleError('batch-norm parameters that depend on the input are not supported');
      const rank = shapeOfInfo(cx.inInfo(0)).length;
      const eps = attr.float(n, 'epsilon', 1e-5);
      const scale = cx.constValue(1);
      const variance = cx.constValue(4);
      let factor: string;
      if (scale && variance && scale.dtype === 'float32' && variance.dtype === 'float32') {
        // fold scale / sqrt(var + eps) at compile time, shaped [C, 1, ..., 1] to broadcast over axis 1
        const c = scale.data.length;
        const values = new Float32Array(c);
        for (let i = 0; i < c; i++) values[i] = (scale.data as Float32Array)[i]! / Math.sqrt((variance.data as Float32Array)[i]! + eps);
        factor = cx.b.constant(tensor('float32', [c, ...Array(Math.max(0, rank - 2)).fill(1)], values), 'bn_factor');
      } else {
        const std = cx.b.op('Sqrt', [cx.b.op('Add', [cx.x(4), cx.f32(eps)])]);
        const perChannel = cx.b.op('Div', [cx.x(1), std]);
        factor = cx.b.op('Reshape', [perChannel, cx.i64([-1, ...Array(Math.max(0, rank - 2)).fill(1)])]);
      }
      return [cx.b.op('Mul', [cx.gy(0)!, factor])];
    },
  },
};
