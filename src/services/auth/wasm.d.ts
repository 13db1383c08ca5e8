// wrangler's CompiledWasm rule (wrangler.toml) delivers .wasm imports as compiled modules.
declare module "argon2-wasm-edge/wasm/argon2.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "argon2-wasm-edge/wasm/blake2b.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
