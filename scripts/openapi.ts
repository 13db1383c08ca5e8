// `npm run client`: writes islet's OpenAPI 3.1 document (client/openapi.json) and the types
// openapi-typescript generates from it (client/islet.d.ts), both from the routes themselves.
// `tsx scripts/openapi.ts --print` prints the document instead (the validation test uses it).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp } from "../src/app";
import { openApiDocument } from "../src/routes/docs";
import { clientTypes } from "./client-types";

export const isletDocument = () => openApiDocument(buildApp());

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const document = isletDocument();
  if (process.argv.includes("--print")) {
    process.stdout.write(JSON.stringify(document));
  } else {
    const root = join(import.meta.dirname, "../client");
    writeFileSync(join(root, "openapi.json"), `${JSON.stringify(document, null, 2)}\n`);
    writeFileSync(join(root, "islet.d.ts"), await clientTypes(document));
    console.log("wrote client/openapi.json and client/islet.d.ts");
  }
}
