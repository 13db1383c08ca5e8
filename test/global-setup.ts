// Starts the Node-side servers the Worker tests talk to — the real local libSQL server (devdb)
// with JWT auth, and local stand-ins for third-party APIs — and hands their addresses to the
// Worker as bindings. Nothing here mocks islet's own code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalPlatform } from "../scripts/local-stack";
import { startJwksFixture } from "./fixtures/jwks";
import { startMailFixture } from "./fixtures/mail";
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_PROVIDER_ID, startOidcFixture } from "./fixtures/oidc";
import { startOutboundFixture } from "./fixtures/outbound";
import { startPwnedFixture } from "./fixtures/pwned";
import { startTursoFixture, TURSO_ORG, TURSO_TOKEN } from "./fixtures/turso";

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "islet-test-"));
  const { devdb, vars } = await startLocalPlatform({ dir, environment: "test" });
  const turso = await startTursoFixture();
  const jwks = await startJwksFixture();
  const pwned = await startPwnedFixture();
  const mail = await startMailFixture();
  const oidc = await startOidcFixture("http://127.0.0.1:8787");
  const outbound = await startOutboundFixture();

  project.provide("workerBindings", {
    ...vars,
    TURSO_API_URL: turso.url,
    TURSO_ORG,
    TURSO_GROUP: "islet",
    TURSO_API_TOKEN: TURSO_TOKEN,
    TEST_JWKS_FIXTURE_URL: jwks.url,
    PWNED_API_URL: pwned.url,
    DOH_RESOLVER_URL: `${outbound.url}/dns-query`,
    TEST_OUTBOUND_FIXTURE_URL: outbound.url,
    MAIL_PROVIDER: "outbox",
    TEST_MAIL_FIXTURE_URL: mail.url,
    OIDC_PROVIDERS: JSON.stringify([{ id: OIDC_PROVIDER_ID, issuer: oidc.url, clientId: OIDC_CLIENT_ID }]),
    OIDC_CLIENT_SECRETS: JSON.stringify({ [OIDC_PROVIDER_ID]: OIDC_CLIENT_SECRET }),
    // A realtime window a test can outrun with one bulk insert (test/agents/realtime-resume.test.ts).
    REALTIME_RETENTION_EVENTS: "600",
  });

  return async () => {
    await turso.close();
    await jwks.close();
    await Promise.all([pwned.close(), mail.close(), oidc.close(), outbound.close()]);
    await devdb.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    workerBindings: Record<string, string>;
  }
}
