// The control database's drizzle schema (architecture §1), one file per area.
export {
  END_USER_ROLES,
  INVITABLE_ROLES,
  REGIONS,
  type Region,
  ROLES,
  type Role,
} from "../../../lib/tenancy";
export * from "./accounts";
export * from "./keys";
export * from "./mail";
export * from "./security";
export * from "./workspaces";
