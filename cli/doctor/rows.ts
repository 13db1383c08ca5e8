// A doctor check's answer: one row, pass, fail or skip, with the fix when it fails.
import { ProvisionError } from "../../src/provision";

export interface DoctorRow {
  check: string;
  result: "pass" | "fail" | "skip";
  detail: string;
  fix: string;
}

export const pass = (check: string, detail = ""): DoctorRow => ({ check, result: "pass", detail, fix: "" });
export const fail = (check: string, detail: string, fix: string): DoctorRow => ({
  check,
  result: "fail",
  detail,
  fix,
});
export const skip = (check: string, detail: string): DoctorRow => ({
  check,
  result: "skip",
  detail,
  fix: "",
});

export const message = (error: unknown) =>
  error instanceof ProvisionError && error.status
    ? `${error.message} (HTTP ${error.status})`
    : error instanceof Error
      ? error.message
      : String(error);
