// `.dev.vars` holds the local stack's secrets: whoever wrote it, a start leaves it readable by its
// owner only, and moves only the port-bound values when the ports change.
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prepareDevVars } from "./dev-vars";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ports = { api: 18787, devdb: 18880, devdbAdmin: 18881 };

describe("prepareDevVars", () => {
  it("leaves an existing, world-readable .dev.vars readable by its owner only, secrets kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "islet-dev-vars-"));
    dirs.push(dir);
    const path = join(dir, ".dev.vars");
    const first = await prepareDevVars(path, ports);
    expect(first.created).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    // As a copy from the example or an editor's save would leave it.
    chmodSync(path, 0o644);
    const again = await prepareDevVars(path, { ...ports, api: 18788 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(again.changed).toEqual(["PUBLIC_URL"]);
    expect(again.vars.ISLET_KEYRING).toBe(first.vars.ISLET_KEYRING);
  });
});
