import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../core/context";
import { checkBreached } from "./breached";

/** NIST SP 800-63B §5.1.1.2 / OWASP: length is what matters; no composition rules. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/**
 * Passwords are compared after Unicode NFKC normalization (SP 800-63B §5.1.1.2), so the same
 * password typed on two keyboards that encode it differently still matches.
 */
export const normalizePassword = (password: string) => password.normalize("NFKC");

/** Length in characters (code points), not UTF-16 units. */
const lengthOf = (password: string) => [...password].length;

/**
 * The rules a new password must pass: 12–256 characters, not the account's email, and not in
 * the breached-password corpus. Returns the normalized password to hash.
 */
export async function acceptNewPassword(
  ctx: ServiceContext,
  password: string,
  email: string,
): Promise<string> {
  const normalized = normalizePassword(password);
  const length = lengthOf(normalized);
  if (length < PASSWORD_MIN || length > PASSWORD_MAX) {
    throw new ApiError(
      "weak_password",
      `Passwords must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`,
      {
        details: { field: "password", min: PASSWORD_MIN, max: PASSWORD_MAX },
      },
    );
  }
  if (normalized.toLowerCase() === email.toLowerCase() || /^(.)\1*$/u.test(normalized)) {
    throw new ApiError("weak_password", "This password is too easy to guess", {
      details: { field: "password" },
    });
  }
  if ((await checkBreached(ctx, normalized)) === "breached") {
    throw new ApiError(
      "breached_password",
      "This password has appeared in a data breach; choose a different one",
      { details: { field: "password" } },
    );
  }
  return normalized;
}
