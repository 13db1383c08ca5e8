import { and, eq, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { memberships, users, type WorkspaceRow } from "../../db/control/schema";
import type { ServiceContext } from "../core/context";
import { type Mailer, mailerFor } from "../mail";

/** What the owners are told about an operator's access (never any of the data itself). */
export interface DataAccessNotice {
  operatorId: string;
  table: string;
  reason: string;
  limit: number;
}

/** How owners are alerted; the Mailer by default (tests and other channels may pass their own). */
export type OwnerAlerter = (ctx: ServiceContext) => Pick<Mailer, "send">;

const oneLine = (text: string) => text.replace(/[\r\n]+/g, " ").slice(0, 120);

/**
 * Emails every owner of the workspace that an islet operator is reading its data, and why
 * (seed 003: "Any engineer-initiated read of customer data triggers an alert"). Throws if any
 * owner could not be alerted: the caller reads nothing then. Returns how many were alerted.
 */
export async function notifyOwners(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  notice: DataAccessNotice,
  alerter: OwnerAlerter = mailerFor,
): Promise<number> {
  const owners = await controlDb(ctx.config)
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(eq(memberships.workspaceId, workspace.id), eq(memberships.role, "owner"), isNull(users.deletedAt)),
    );
  const mailer = alerter(ctx);
  const text = [
    `An islet operator read data in your workspace "${workspace.name}" (${workspace.id}).`,
    "",
    `Operator: ${notice.operatorId}`,
    `Table: ${notice.table} (at most ${notice.limit} rows)`,
    `Reason given: ${notice.reason}`,
    `Time: ${new Date().toISOString()}`,
    `Request id: ${ctx.requestId}`,
    "",
    "This access is recorded in your workspace's audit log as operator.data_access.",
    "If you did not expect it, reply to this email or contact security@islet.dev.",
  ].join("\n");
  for (const owner of owners) {
    await mailer.send({
      to: owner.email,
      subject: `islet: operator data access in ${oneLine(workspace.name)}`,
      text,
      tag: "operator_data_access",
    });
  }
  return owners.length;
}
