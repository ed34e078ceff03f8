/** A file Ascent cannot read as ONNX, with a message for the model's author saying why. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}
