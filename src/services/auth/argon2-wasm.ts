// workerd refuses to compile WebAssembly from bytes at run time, so the library's embedded
// base64 path cannot work in a Worker: wrangler's CompiledWasm rule turns these imports into
// precompiled WebAssembly.Module objects, which the library instantiates instead.
import { setWASMModules } from "argon2-wasm-edge";
import argon2WASM from "argon2-wasm-edge/wasm/argon2.wasm";
import blake2bWASM from "argon2-wasm-edge/wasm/blake2b.wasm";

void setWASMModules({ argon2WASM, blake2bWASM });

export { ARGON2_PARAMS, DUMMY_HASH, hashPassword, verifyPassword } from "./argon2";
