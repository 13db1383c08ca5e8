// Account export (architecture §10, seed 002): everything tied to the signed-in account as JSON —
// profile, sign-in identities, memberships, sessions and keys as metadata, the platform security
// log's events about the account, and the account's own events in each workspace's audit log.
// Never a secret, hash or token: keys appear by prefix, sessions without their refresh hashes.
import { desc, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import {
  apiKeys,
  memberships,
  securityLog,
  sessions,
  userIdentities,
  workspaces,
} from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { redact } from "../../lib/logger";
import { readAuditPage, toEntry } from "../audit/read";
import { userById } from "../auth/users";
import { authorizeWorkspace, requireUser } from "../core/access";
import type { ServiceArgs } from "../core/context";

/** Per workspace, the account's newest audit events included (the rest: the workspace's export). */
export const EXPORT_AUDIT_PER_WORKSPACE = 1000;

export async function exportAccount({ ctx }: ServiceArgs) {
  const { userId } = requireUser(ctx);
  const db = controlDb(ctx.config);
  const user = await userById(ctx, userId);
  if (!user) throw new ApiError("unauthorized", "Authentication required");
  const [identities, joined, sessionRows, keyRows, events] = await Promise.all([
    db
      .select({
        provider: userIdentities.provider,
        subject: userIdentities.subject,
        email: userIdentities.email,
        createdAt: userIdentities.createdAt,
        lastLoginAt: userIdentities.lastLoginAt,
      })
      .from(userIdentities)
      .where(eq(userIdentities.userId, userId)),
    db
      .select({
        workspaceId: memberships.workspaceId,
        role: memberships.role,
        joinedAt: memberships.createdAt,
        name: workspaces.name,
        slug: workspaces.slug,
        region: workspaces.region,
        plan: workspaces.plan,
      })
      .from(memberships)
      .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
      .where(eq(memberships.userId, userId)),
    db
      .select({
        id: sessions.id,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        expiresAt: sessions.expiresAt,
        revokedAt: sessions.revokedAt,
        ip: sessions.ip,
        userAgent: sessions.userAgent,
      })
      .from(sessions)
      .where(eq(sessions.userId, userId))
      .orderBy(desc(sessions.createdAt)),
    db
      .select({
        id: apiKeys.id,
        workspaceId: apiKeys.workspaceId,
        name: apiKeys.name,
        scopes: apiKeys.scopes,
        tables: apiKeys.tables,
        createdAt: apiKeys.createdAt,
        lastUsedAt: apiKeys.lastUsedAt,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.createdBy, userId)),
    db
      .select({
        ts: securityLog.ts,
        action: securityLog.action,
        ip: securityLog.ip,
        userAgent: securityLog.userAgent,
        details: securityLog.details,
      })
      .from(securityLog)
      .where(eq(securityLog.subjectUserId, userId))
      .orderBy(desc(securityLog.ts))
      .limit(5000),
  ]);
  const audit = [];
  for (const m of joined) {
    const access = await authorizeWorkspace(ctx, m.workspaceId, { role: "viewer", scope: "data:read" });
    const rows = await readAuditPage(await access.db(), {
      filter: { actor: userId },
      order: "desc",
      limit: EXPORT_AUDIT_PER_WORKSPACE + 1,
    });
    audit.push({
      workspaceId: m.workspaceId,
      events: rows.slice(0, EXPORT_AUDIT_PER_WORKSPACE).map(toEntry),
      truncated: rows.length > EXPORT_AUDIT_PER_WORKSPACE,
    });
  }
  return {
    exportedAt: Date.now(),
    profile: {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: user.emailVerifiedAt !== null,
      hasPassword: user.passwordHash !== null,
      createdAt: user.createdAt,
    },
    identities,
    memberships: joined,
    sessions: sessionRows,
    keys: keyRows.map((k) => ({
      ...k,
      prefix: `isk_${k.id}_…`,
      scopes: JSON.parse(k.scopes) as string[],
      tables: k.tables === null ? null : (JSON.parse(k.tables) as string[]),
    })),
    // OAuth grants for remote agents do not exist yet; the field is here for when they do.
    grants: [],
    securityEvents: events.map((e) => ({ ...e, details: redact(JSON.parse(e.details)) })),
    audit,
  };
}
