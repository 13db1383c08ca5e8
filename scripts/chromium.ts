// Headless Chromium for the browser suites: @sparticuz/chromium's binary, launched by
// playwright-core. Its default flags are tuned for AWS Lambda and switch browser security off
// (--disable-web-security, --allow-running-insecure-content, no site isolation, one process);
// a suite that tests CSP, framing and CSRF must run the browser as users have it, so those go.
import chromium from "@sparticuz/chromium";
import { type Browser, chromium as playwright } from "playwright-core";

const UNSAFE = [
  /^--disable-web-security$/,
  /^--allow-running-insecure-content$/,
  /^--disable-site-isolation-trials$/,
  /^--disable-features=/,
  /^--single-process$/,
];

export async function launchChromium(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args.filter((arg) => !UNSAFE.some((flag) => flag.test(arg))),
    headless: true,
  });
}
