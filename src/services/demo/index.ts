// Demo data (seed 001: demo content lives in its own workspace; new accounts never inherit it).
// A new "Demo" workspace with a small product catalogue whose total is a stored formula, and a
// notes table, made through the ordinary verbs, so it is audited and limited like any other.
import { ApiError } from "../../lib/errors";
import type { ServiceArgs, ServiceContext } from "../core/context";
import { insertRows } from "../rows";
import { createTable } from "../tables";
import { createWorkspace, deleteWorkspace, listWorkspaces, type WorkspaceView } from "../workspaces";

const PRODUCTS = [
  { name: "Notebook", price: 4.5, qty: 12 },
  { name: "Pencil", price: 0.8, qty: 40 },
  { name: "Backpack", price: 39, qty: 2 },
  { name: "Desk lamp", price: 24.9, qty: 3 },
];

export async function createDemoWorkspace({ ctx }: ServiceArgs): Promise<WorkspaceView> {
  if (ctx.actor.type !== "user") throw new ApiError("forbidden", "Demo workspaces are for people");
  const mine = await listWorkspaces({ ctx });
  const region = mine.find((w) => w.role === "owner")?.region ?? "us-east";
  const { workspace } = await createWorkspace({ ctx, input: { name: "Demo", region } });
  try {
    await fill(ctx, workspace.id);
  } catch (error) {
    // No half-made demo: the workspace goes again, and the reason is the answer.
    await deleteWorkspace({ ctx, input: { workspaceId: workspace.id, confirm: workspace.slug } }).catch(
      () => {},
    );
    throw error;
  }
  return workspace;
}

async function fill(ctx: ServiceContext, workspaceId: string): Promise<void> {
  await createTable({
    ctx,
    input: {
      workspaceId,
      name: "products",
      columns: [
        { name: "name", type: "text", notNull: true },
        { name: "price", type: "real", notNull: true },
        { name: "qty", type: "integer", default: 0 },
        { name: "total", type: "formula", formula: "Math.round(row.price * row.qty * 100) / 100" },
      ],
    },
  });
  await insertRows({ ctx, input: { workspaceId, table: "products", rows: PRODUCTS } });
  await createTable({
    ctx,
    input: {
      workspaceId,
      name: "notes",
      columns: [
        { name: "title", type: "text", notNull: true },
        { name: "done", type: "boolean", default: false },
      ],
    },
  });
  await insertRows({
    ctx,
    input: {
      workspaceId,
      table: "notes",
      rows: [{ title: "Try a filter: done eq false" }, { title: "Create an API key", done: true }],
    },
  });
}
