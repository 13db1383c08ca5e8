// The sandbox as the Worker uses it: QuickJS compiled to WebAssembly, with the .wasm file imported
// as a compiled module (wrangler's CompiledWasm rule) because workerd refuses to compile
// WebAssembly from bytes at run time.

import baseVariant from "@jitl/quickjs-wasmfile-release-sync";
import wasmModule from "@jitl/quickjs-wasmfile-release-sync/wasm";
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";
import { boundedWasmMemory } from "./limits";
import { createSandbox } from "./sandbox";

export { REQUEST_SANDBOX_BUDGET_MS, SandboxBudget, SandboxBudgetSpent } from "./budget";
export type { HostFunction } from "./host";
export type { SandboxLimits } from "./limits";
export { DEFAULT_LIMITS, WASM_MEMORY_MAX_BYTES } from "./limits";
export type { SandboxErrorKind, SandboxResult } from "./runtime";
export type { Sandbox } from "./sandbox";

const sandbox = createSandbox(() =>
  newQuickJSWASMModuleFromVariant(
    newVariant(baseVariant, { wasmModule: wasmModule as WebAssembly.Module, wasmMemory: boundedWasmMemory }),
  ),
);

export const runFunction = sandbox.runFunction.bind(sandbox);
export const evaluateFormula = sandbox.evaluateFormula.bind(sandbox);
export const evaluateFormulaBatch = sandbox.evaluateFormulaBatch.bind(sandbox);
export const validateFormula = sandbox.validateFormula.bind(sandbox);
export const validateFunction = sandbox.validateFunction.bind(sandbox);
