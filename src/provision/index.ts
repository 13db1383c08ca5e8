import type { Config } from "../config";
import { LocalProvisioner } from "./local";
import type { Provisioner } from "./provisioner";
import { TursoProvisioner } from "./turso";

export type { ProvisionedDatabase, Provisioner } from "./provisioner";
export { ProvisionError } from "./provisioner";

/** The provisioner the config selects (parseConfig has already checked its settings exist). */
export function provisionerFor(config: Config): Provisioner {
  if (config.PROVISIONER === "turso") {
    return new TursoProvisioner({
      apiUrl: config.TURSO_API_URL,
      org: config.TURSO_ORG ?? "",
      apiToken: config.TURSO_API_TOKEN ?? "",
      groupPrefix: config.TURSO_GROUP,
    });
  }
  return new LocalProvisioner({
    url: config.DEVDB_URL ?? "",
    adminUrl: config.DEVDB_ADMIN_URL ?? "",
    adminToken: config.DEVDB_ADMIN_TOKEN,
    jwtPrivateKey: config.DEVDB_JWT_PRIVATE_KEY ?? "",
  });
}
