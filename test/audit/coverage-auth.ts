// Audit coverage of /v1/auth and /v1/invitations: account events go to the platform security log
// (no tenant holds them); signup also writes `account.signup` into the new personal workspace.

import { readOutbox } from "../../src/services/mail";
import { mailedToken, signupUser, strongPassword, uniqueEmail } from "../auth/helpers";
import { json, makeUser, makeWorkspace, testContext } from "../helpers";
import type { CoverageTable } from "./coverage-harness";
import { expectOk } from "./coverage-harness";

export const authCoverage: CoverageTable = {
  "POST /v1/auth/signup": {
    tenant: ["account.signup"],
    platform: ["account.signup"],
    exercise: async (t) => {
      const res = await t.send("POST", "/v1/auth/signup", {
        body: { email: uniqueEmail("cov"), password: strongPassword(), region: "eu-west" },
      });
      const body = await json<{ workspace: { id: string } }>(res.clone());
      return { res, workspace: body.workspace.id };
    },
  },
  "POST /v1/auth/login": {
    platform: ["auth.login"],
    exercise: async (t) => {
      const user = await signupUser();
      return {
        res: await t.send("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      };
    },
  },
  "POST /v1/auth/refresh": {
    // A routine rotation is not an audit event; presenting a rotated token again (theft) is.
    platform: ["session.refresh_reuse"],
    status: 401,
    exercise: async (t) => {
      const user = await signupUser();
      const body = { refreshToken: user.session.refreshToken };
      await expectOk(await t.send("POST", "/v1/auth/refresh", { body }), "first refresh");
      return { res: await t.send("POST", "/v1/auth/refresh", { body }) };
    },
  },
  "POST /v1/auth/logout": {
    platform: ["auth.logout"],
    exercise: async (t) => {
      const user = await signupUser();
      return {
        res: await t.send("POST", "/v1/auth/logout", {
          token: user.session.accessToken,
          body: { refreshToken: user.session.refreshToken },
        }),
      };
    },
  },
  "DELETE /v1/auth/sessions/:sessionId": {
    platform: ["session.revoke"],
    exercise: async (t) => {
      const user = await signupUser();
      const other = await t.send("POST", "/v1/auth/login", {
        body: { email: user.email, password: user.password },
      });
      const { session } = await json<{ session: { id: string } }>(await expectOk(other, "second login"));
      return {
        res: await t.send("DELETE", `/v1/auth/sessions/${session.id}`, { token: user.session.accessToken }),
      };
    },
  },
  "POST /v1/auth/verify-email": {
    platform: ["auth.email_verified"],
    exercise: async (t) => {
      const user = await signupUser();
      const token = await mailedToken(user.email, "verify_email");
      return { res: await t.send("POST", "/v1/auth/verify-email", { body: { token } }) };
    },
  },
  "POST /v1/auth/resend-verification": {
    exempt:
      "mails a fresh verification link to the caller's own unverified address; no account state changes " +
      "and nothing is granted until verify-email, which is audited (auth.email_verified)",
  },
  "DELETE /v1/account": {
    // The tenant logs of the deleted workspaces go with them; the platform log keeps the record.
    platform: ["account.delete_requested", "workspace.delete", "account.deleted"],
    exercise: async (t) => {
      const user = await signupUser();
      return {
        res: await t.send("DELETE", "/v1/account", {
          token: user.session.accessToken,
          body: { confirm: user.email, password: user.password },
        }),
      };
    },
  },
  "POST /v1/certificates/verify": {
    exempt:
      "checks a certificate's signature and reads it back; anyone may call it, and nothing is stored, " +
      "changed or granted",
  },
  "POST /v1/realtime/ticket": {
    exempt:
      "trades the caller's own credential for a 30-second, single-use socket ticket bound to it; nothing " +
      "is granted beyond what that credential already holds, and every tool call over the socket is audited",
  },
  "POST /v1/auth/password-reset/request": {
    platform: ["auth.reset_requested"],
    exercise: async (t) => {
      const user = await signupUser();
      return {
        res: await t.send("POST", "/v1/auth/password-reset/request", { body: { email: user.email } }),
      };
    },
  },
  "POST /v1/auth/password-reset/confirm": {
    platform: ["auth.password_reset"],
    exercise: async (t) => {
      const user = await signupUser();
      await expectOk(
        await t.send("POST", "/v1/auth/password-reset/request", { body: { email: user.email } }),
        "reset request",
      );
      const token = await mailedToken(user.email, "password_reset");
      return {
        res: await t.send("POST", "/v1/auth/password-reset/confirm", {
          body: { token, password: strongPassword() },
        }),
      };
    },
  },
  "POST /v1/auth/password": {
    platform: ["auth.password_change"],
    exercise: async (t) => {
      const user = await signupUser();
      return {
        res: await t.send("POST", "/v1/auth/password", {
          token: user.session.accessToken,
          body: { currentPassword: user.password, newPassword: strongPassword() },
        }),
      };
    },
  },
  "POST /v1/invitations/accept": {
    tenant: ["member.join"],
    exercise: async (t) => {
      const owner = await makeUser();
      const workspace = await makeWorkspace(owner);
      const invitee = await makeUser();
      const since = Date.now();
      await expectOk(
        await t.send("POST", `/v1/workspaces/${workspace.id}/members/invitations`, {
          token: owner.token,
          body: { email: invitee.email, role: "member" },
        }),
        "invite",
      );
      const [mail] = await readOutbox({ ctx: testContext(), input: { to: invitee.email, since } });
      const token = /Invitation token: ([0-9a-f]{64})/.exec(mail?.text ?? "")?.[1];
      if (!token) throw new Error("no invitation email");
      return {
        res: await t.send("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } }),
        workspace,
      };
    },
  },
};
