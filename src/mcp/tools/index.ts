import type { ToolSpec } from "../tool";
import { accountTools } from "./accounts";
import { auditTools, sqlTools } from "./data";
import { functionTools } from "./functions";
import { keyTools } from "./keys";
import { rowTools } from "./rows";
import { tableTools } from "./tables";

/** Every MCP tool, by domain (architecture §13). Each calls one service verb, as its REST route does. */
export const TOOLS: readonly ToolSpec[] = [
  ...tableTools,
  ...rowTools,
  ...functionTools,
  ...sqlTools,
  ...auditTools,
  ...keyTools,
  ...accountTools,
];
