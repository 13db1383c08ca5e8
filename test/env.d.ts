// Bindings only the test harness injects (test/global-setup.ts): local servers speaking the
// wire formats of third-party services. Not part of the Worker's configuration.
declare namespace Cloudflare {
  interface Env {
    TEST_MAIL_FIXTURE_URL: string;
    TEST_JWKS_FIXTURE_URL: string;
    TEST_OUTBOUND_FIXTURE_URL: string;
  }
}
