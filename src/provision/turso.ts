import { z } from "zod";
import type { Region } from "../lib/tenancy";
import {
  type BackupPoint,
  DB_NAME,
  ProvisionError,
  type ProvisionedDatabase,
  type Provisioner,
  upstream,
} from "./provisioner";

export interface TursoProvisionerOptions {
  apiUrl: string;
  org: string;
  apiToken: string;
  /** Each region is a Turso group `<groupPrefix>-<region>` whose primary location is that region. */
  groupPrefix: string;
}

/** Each islet region's Turso location (docs.turso.tech: locations), for `islet setup turso`. */
export const TURSO_LOCATIONS: Readonly<Record<Region, string>> = {
  "us-east": "aws-us-east-1",
  "us-west": "aws-us-west-2",
  "eu-west": "aws-eu-west-1",
  "ap-south": "aws-ap-south-1",
};

const groupsSchema = z.object({ groups: z.array(z.object({ name: z.string() })) });
const databaseSchema = z.object({ database: z.object({ Name: z.string(), Hostname: z.string() }) });
const tokenSchema = z.object({ jwt: z.string().min(1) });
/** GET /v1/organizations/{org}/subscription (docs.turso.tech/api-reference/organizations/subscription). */
const subscriptionSchema = z.object({ subscription: z.object({ name: z.string() }) });

const DAY_MS = 86_400_000;
/**
 * Point-in-time recovery windows by plan (docs.turso.tech/features/point-in-time-recovery: Free
 * 24 hours; Developer, Scaler and Pro 10, 30 and 90 days). A plan not named here gets the shortest
 * window: a backup is never promised for longer than the provider keeps it.
 */
export const TURSO_PITR_WINDOW_MS: Readonly<Record<string, number>> = {
  free: DAY_MS,
  starter: DAY_MS,
  hobby: DAY_MS,
  developer: 10 * DAY_MS,
  scaler: 30 * DAY_MS,
  pro: 90 * DAY_MS,
  enterprise: 90 * DAY_MS,
};
const SHORTEST_WINDOW_MS = DAY_MS;
/** The plan is read once per this period per isolate, not once per backup of a 10,000-tenant run. */
const PLAN_CACHE_MS = 10 * 60_000;
const windows = new Map<string, { windowMs: number; readAt: number }>();
const usageSchema = z.object({
  database: z.object({ total: z.object({ storage_bytes: z.number().int().nonnegative() }) }),
});

/**
 * Turso Platform API (docs.turso.tech/api-reference): create a database in the region's group,
 * mint a database-scoped token, delete. Upstream bodies are never surfaced: they can echo tokens.
 */
export class TursoProvisioner implements Provisioner {
  readonly kind = "turso";

  constructor(private readonly options: TursoProvisionerOptions) {}

  private api(path: string): string {
    return `${this.options.apiUrl.replace(/\/$/, "")}/v1/organizations/${encodeURIComponent(this.options.org)}${path}`;
  }

  private request(path: string, init: RequestInit = {}): Promise<Response> {
    return upstream(
      this.api(path),
      {
        ...init,
        headers: {
          Authorization: `Bearer ${this.options.apiToken}`,
          "Content-Type": "application/json",
          ...init.headers,
        },
      },
      "Turso Platform API",
    );
  }

  private async hostname(res: Response, name: string): Promise<string> {
    const parsed = databaseSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ProvisionError(`Turso answered an unexpected shape for ${name}`);
    return parsed.data.database.Hostname;
  }

  async create(name: string, region: Region, seed?: BackupPoint): Promise<ProvisionedDatabase> {
    if (!DB_NAME.test(name)) throw new ProvisionError(`invalid database name ${name}`);
    const created = await this.request("/databases", {
      method: "POST",
      body: JSON.stringify({
        name,
        group: this.groupOf(region),
        // Point-in-time restore: a new database seeded from another as of a timestamp.
        ...(seed ? { seed: { type: "database", name: seed.dbName, timestamp: seed.ref } } : {}),
      }),
    });
    let hostname: string;
    if (created.ok) {
      hostname = await this.hostname(created, name);
    } else if (created.status === 409) {
      await created.body?.cancel();
      const existing = await this.request(`/databases/${name}`);
      if (!existing.ok) throw new ProvisionError(`Turso could not describe ${name}`, existing.status);
      hostname = await this.hostname(existing, name);
    } else {
      await created.body?.cancel();
      throw new ProvisionError(`Turso refused to create ${name}`, created.status);
    }
    const minted = await this.request(`/databases/${name}/auth/tokens?authorization=full-access`, {
      method: "POST",
    });
    if (!minted.ok) {
      await minted.body?.cancel();
      throw new ProvisionError(`Turso refused a token for ${name}`, minted.status);
    }
    const token = tokenSchema.safeParse(await minted.json().catch(() => null));
    if (!token.success) throw new ProvisionError(`Turso answered an unexpected token shape for ${name}`);
    return { url: `libsql://${hostname}`, token: token.data.jwt };
  }

  async destroy(name: string): Promise<void> {
    const res = await this.request(`/databases/${name}`, { method: "DELETE" });
    await res.body?.cancel();
    if (!res.ok && res.status !== 404)
      throw new ProvisionError(`Turso refused to delete ${name}`, res.status);
  }

  /** GET /v1/organizations/{org}/databases: `{ databases: [{ Name, … }] }`. */
  async list(): Promise<string[]> {
    const res = await this.request("/databases");
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError("Turso could not list databases", res.status);
    }
    const body = (await res.json().catch(() => null)) as { databases?: { Name?: unknown }[] } | null;
    if (!Array.isArray(body?.databases)) throw new ProvisionError("Turso answered an unexpected list shape");
    return body.databases.map((d) => d.Name).filter((n): n is string => typeof n === "string");
  }

  /**
   * Turso keeps every database's history for the plan's retention period: the backup is the
   * moment, checked against a live database, and restorable until the window closes on it.
   */
  async backup(name: string): Promise<BackupPoint> {
    if (!(await this.exists(name))) throw new ProvisionError(`Turso has no database ${name}`, 404);
    const windowMs = await this.pointInTimeWindowMs();
    const now = Date.now();
    return { kind: "pitr", dbName: name, ref: new Date(now).toISOString(), restorableUntil: now + windowMs };
  }

  /** How long the organization's plan keeps database history (its subscription, cached briefly). */
  async pointInTimeWindowMs(): Promise<number> {
    const key = `${this.options.apiUrl}|${this.options.org}`;
    const cached = windows.get(key);
    if (cached && Date.now() - cached.readAt < PLAN_CACHE_MS) return cached.windowMs;
    const res = await this.request("/subscription");
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError("Turso could not describe the organization's plan", res.status);
    }
    const parsed = subscriptionSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ProvisionError("Turso answered an unexpected subscription shape");
    const windowMs = TURSO_PITR_WINDOW_MS[parsed.data.subscription.name.toLowerCase()] ?? SHORTEST_WINDOW_MS;
    windows.set(key, { windowMs, readAt: Date.now() });
    return windowMs;
  }

  async restore(point: BackupPoint, into: string, region: Region): Promise<ProvisionedDatabase> {
    if (point.kind !== "pitr") throw new ProvisionError("Turso restores point-in-time backups only");
    if (await this.exists(into)) throw new ProvisionError(`Turso already has a database ${into}`, 409);
    return this.create(into, region, point);
  }

  /** Nothing to free: the history goes with the database. */
  async dropBackup(_point: BackupPoint): Promise<void> {}

  /**
   * GET …/databases/{name}/usage (docs.turso.tech/api-reference/databases/usage): `database.total`
   * sums every instance; `storage_bytes` is what Turso bills the database's storage by.
   */
  async storageBytes(name: string): Promise<number> {
    const res = await this.request(`/databases/${name}/usage`);
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError(`Turso could not report usage of ${name}`, res.status);
    }
    const parsed = usageSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ProvisionError(`Turso answered an unexpected usage shape for ${name}`);
    return parsed.data.database.total.storage_bytes;
  }

  /** The organization's groups (GET …/groups): also how `doctor` proves the token reaches the org. */
  async groups(): Promise<string[]> {
    const res = await this.request("/groups");
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProvisionError("Turso could not list groups", res.status);
    }
    const parsed = groupsSchema.safeParse(await res.json().catch(() => null));
    if (!parsed.success) throw new ProvisionError("Turso answered an unexpected groups shape");
    return parsed.data.groups.map((g) => g.name);
  }

  /** The group a region's databases go to. */
  groupOf(region: Region): string {
    return `${this.options.groupPrefix}-${region}`;
  }

  /** Creates the region's group at its location; an existing one is left as it is. */
  async ensureGroup(region: Region): Promise<"created" | "exists"> {
    const res = await this.request("/groups", {
      method: "POST",
      body: JSON.stringify({ name: this.groupOf(region), location: TURSO_LOCATIONS[region] }),
    });
    await res.body?.cancel();
    if (res.status === 409) return "exists";
    if (!res.ok)
      throw new ProvisionError(`Turso refused to create group ${this.groupOf(region)}`, res.status);
    return "created";
  }

  async exists(name: string): Promise<boolean> {
    const res = await this.request(`/databases/${name}`);
    await res.body?.cancel();
    if (res.status === 404) return false;
    if (!res.ok) throw new ProvisionError(`Turso could not describe ${name}`, res.status);
    return true;
  }
}
