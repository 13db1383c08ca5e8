import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAIL_FIXTURE_KEY } from "../fixtures/mail";
import { errorCode } from "../helpers";
import { callWithEnv, strongPassword, uniqueEmail } from "./helpers";

const RESEND = {
  MAIL_PROVIDER: "resend",
  MAIL_API_URL: env.TEST_MAIL_FIXTURE_URL as string,
  MAIL_API_KEY: MAIL_FIXTURE_KEY,
  MAIL_FROM: "islet <auth@islet.test>",
};

async function fixtureMail(to: string) {
  const res = await fetch(`${env.TEST_MAIL_FIXTURE_URL}/__fixture/emails?to=${encodeURIComponent(to)}`);
  return (await res.json<{ emails: { from: string; to: string[]; subject: string; text: string }[] }>())
    .emails;
}

describe("Mailer", () => {
  it("sends through the Resend-style HTTP API with the Bearer key when MAIL_PROVIDER=resend", async () => {
    const email = uniqueEmail("resend");
    const res = await callWithEnv(RESEND, "POST", "/v1/auth/signup", {
      body: { email, password: strongPassword(), region: "eu-west" },
    });
    expect(res.status).toBe(201);
    const mails = await fixtureMail(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      from: "islet <auth@islet.test>",
      to: [email],
      subject: "Verify your email for islet",
    });
    expect(mails[0]?.text).toMatch(/token: [0-9a-f]{64}/);
  });

  it("a provider refusing the key does not undo the signup (the user can ask for another email)", async () => {
    const email = uniqueEmail("badkey");
    const res = await callWithEnv({ ...RESEND, MAIL_API_KEY: "re_wrong" }, "POST", "/v1/auth/signup", {
      body: { email, password: strongPassword(), region: "eu-west" },
    });
    expect(res.status).toBe(201);
    expect(await fixtureMail(email)).toEqual([]);
  });

  it("the dev outbox does not exist when mail really goes out", async () => {
    const res = await callWithEnv(RESEND, "GET", `/v1/dev/outbox?to=${encodeURIComponent(uniqueEmail())}`);
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe("not_found");
  });
});
