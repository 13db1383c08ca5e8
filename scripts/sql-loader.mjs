// Lets Node (tsx: npm start, the CLI, benchmarks, the OpenAPI generator) import what the Worker
// bundle imports through wrangler's module rules: migrations/*.sql, Swagger UI's files, the
// security policy (SECURITY.md) and the dashboard's static files (src/ui/static) as text
// (`Text`), `.wasm` files as compiled modules (`CompiledWasm`).
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const TEXT = /(\.sql|\/SECURITY\.md|\/swagger-ui-bundle\.js|\/swagger-ui\.css|\/ui\/static\/[^/]+)$/;

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith("file:") && TEXT.test(url)) {
      const text = readFileSync(fileURLToPath(url), "utf8");
      return { format: "module", source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
    }
    if (url.startsWith("file:") && url.endsWith(".wasm")) {
      const path = JSON.stringify(fileURLToPath(url));
      const source = `import { readFileSync } from "node:fs";\nexport default new WebAssembly.Module(readFileSync(${path}));`;
      return { format: "module", source, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});
