/**
 * The part of the onnxruntime API the core uses. Each host (workerd, Node, the browser) provides an object of
 * this type from its own build of onnxruntime-web; the core never imports onnxruntime itself.
 */
import type * as ortTypes from 'onnxruntime-web';

export type Ort = Pick<typeof ortTypes, 'InferenceSession' | 'Tensor' | 'env'>;
export type OrtSession = ortTypes.InferenceSession;
export type OrtTensor = ortTypes.Tensor;
