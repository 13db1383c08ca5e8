declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "@jitl/quickjs-wasmfile-release-sync/wasm" {
  const module: WebAssembly.Module;
  export default module;
}
