/** Module types for files the Worker bundle imports as data (wrangler rules in wrangler.toml). */
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
declare module '*.bin' {
  const bytes: ArrayBuffer;
  export default bytes;
}
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module 'gifenc';
