import { importPKCS8, SignJWT } from "jose";
import type { Region } from "../lib/tenancy";
import {
  type BackupPoint,
  DB_NAME,
  ProvisionError,
  type ProvisionedDatabase,
  type Provisioner,
  upstream,
} from "./provisioner";

export interface LocalProvisionerOptions {
  /** devdb Hrana endpoint, e.g. http://127.0.0.1:8880 */
  url: string;
  adminUrl: string;
  adminToken?: string;
  /** PKCS#8 PEM of the Ed25519 key devdb trusts (`--jwt-public-key`). */
  jwtPrivateKey: string;
}

/**
 * Provisions namespaces in the local devdb through its sqld-compatible admin API, and mints
 * Ed25519 tokens whose `p` claim grants read-write on that one namespace only.
 */
export class LocalProvisioner implements Provisioner {
  readonly kind = "local";
  #key: Promise<CryptoKey> | undefined;

  constructor(private readonly options: LocalProvisionerOptions) {}

  private headers(): HeadersInit {
    return this.options.adminToken ? { Authorization: `Bearer ${this.options.adminToken}` } : {};
  }

  private namespaceUrl(name: string): string {
    const port = new URL(this.options.url).port;
    return `http://${name}.localhost:${port}`;
  }

  async create(name: string, _region: Region): Promise<ProvisionedDatabase> {
    if (!DB_NAME.test(name)) throw new ProvisionError(`invalid database name ${name}`);
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces/${name}/create`,
      { method: "POST", headers: { ...this.headers(), "Content-Type": "application/json" }, body: "{}" },
      "devdb admin API",
    );
    await res.body?.cancel();
    if (!res.ok && res.status !== 409)
      throw new ProvisionError(`devdb refused to create ${name}`, res.status);
    return { url: this.namespaceUrl(name), token: await this.mintToken(name) };
  }

  async destroy(name: string): Promise<void> {
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces/${name}`,
      { method: "DELETE", headers: this.headers() },
      "devdb admin API",
    );
    await res.body?.cancel();
    if (!res.ok && res.status !== 404)
      throw new ProvisionError(`devdb refused to delete ${name}`, res.status);
  }

  async exists(name: string): Promise<boolean> {
    return (await this.list()).includes(name);
  }

  async list(): Promise<string[]> {
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces`,
      { headers: this.headers() },
      "devdb admin API",
    );
    if (!res.ok) throw new ProvisionError("devdb refused to list namespaces", res.status);
    const body = (await res.json()) as { namespaces?: string[] };
    return body.namespaces ?? [];
  }

  /** devdb's snapshot extension of the admin API (devdb/admin.ts). */
  async backup(name: string): Promise<BackupPoint> {
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces/${name}/snapshots`,
      { method: "POST", headers: this.headers() },
      "devdb admin API",
    );
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError(`devdb refused a snapshot of ${name}`, res.status);
    }
    const body = (await res.json().catch(() => null)) as { snapshot?: { id?: unknown } } | null;
    if (typeof body?.snapshot?.id !== "string")
      throw new ProvisionError("devdb answered an unexpected snapshot");
    return { kind: "snapshot", dbName: name, ref: body.snapshot.id };
  }

  async restore(point: BackupPoint, into: string, _region: Region): Promise<ProvisionedDatabase> {
    if (point.kind !== "snapshot") throw new ProvisionError("devdb restores snapshots only");
    if (!DB_NAME.test(into)) throw new ProvisionError(`invalid database name ${into}`);
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces/${point.dbName}/snapshots/${encodeURIComponent(point.ref)}/restore`,
      {
        method: "POST",
        headers: { ...this.headers(), "Content-Type": "application/json" },
        body: JSON.stringify({ to: into }),
      },
      "devdb admin API",
    );
    await res.body?.cancel();
    if (!res.ok) throw new ProvisionError(`devdb refused to restore into ${into}`, res.status);
    return { url: this.namespaceUrl(into), token: await this.mintToken(into) };
  }

  async dropBackup(point: BackupPoint): Promise<void> {
    if (point.kind !== "snapshot") return;
    const res = await upstream(
      `${this.options.adminUrl}/v1/namespaces/${point.dbName}/snapshots/${encodeURIComponent(point.ref)}`,
      { method: "DELETE", headers: this.headers() },
      "devdb admin API",
    );
    await res.body?.cancel();
    if (!res.ok && res.status !== 404)
      throw new ProvisionError(`devdb refused to delete a snapshot of ${point.dbName}`, res.status);
  }

  /** sqld's claim format: `p.rw.ns` lists the namespaces this token may read and write. */
  async mintToken(name: string): Promise<string> {
    this.#key ??= importPKCS8(this.options.jwtPrivateKey, "EdDSA");
    return new SignJWT({ p: { rw: { ns: [name] } } })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setIssuedAt()
      .sign(await this.#key);
  }
}
