// firefox.mjs drives Debian's firefox-esr for internal/browsers (Go) over
// WebDriver BiDi with puppeteer-core. It reads one JSON command a line on
// stdin ({"id", "op", ...}) and answers each with one JSON line on stdout
// ({"id", "value"} or {"id", "error"}). It maps satchel.test to 127.0.0.1
// inside Firefox (network.dns.localDomains), so no name is looked up.
import puppeteer from "puppeteer-core";
import { createInterface } from "node:readline";

const browser = await puppeteer.launch({
  browser: "firefox",
  protocol: "webDriverBiDi",
  executablePath: process.env.SATCHEL_FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: {
    "network.dns.localDomains": "satchel.test",
    "network.proxy.type": 0,
    "app.update.enabled": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.enabled": false,
  },
});
const page = await browser.newPage();

async function run(cmd) {
  switch (cmd.op) {
    case "navigate":
      await page.goto(cmd.url, { waitUntil: "load", timeout: 60000 });
      return null;
    case "eval":
      // The expression's value crosses as JSON, as in the other engines.
      return JSON.parse(await page.evaluate(`JSON.stringify((${cmd.expr}) ?? null)`));
    case "evalFrame": {
      const frame = page.mainFrame().childFrames()[0];
      if (!frame) throw new Error("the page has no frame");
      return JSON.parse(await frame.evaluate(`JSON.stringify((${cmd.expr}) ?? null)`));
    }
    case "type":
      await page.type(cmd.selector, cmd.text);
      return null;
    case "click":
      await page.click(cmd.selector);
      return null;
    case "viewport":
      await page.setViewport({ width: cmd.width, height: cmd.height });
      return null;
    case "url":
      return page.url();
    case "close":
      await browser.close();
      return null;
  }
  throw new Error("no op " + cmd.op);
}

console.log(JSON.stringify({ id: 0, value: "ready" }));
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  try {
    const value = await run(cmd);
    console.log(JSON.stringify({ id: cmd.id, value }));
  } catch (e) {
    console.log(JSON.stringify({ id: cmd.id, error: String(e && e.message ? e.message : e) }));
  }
  if (cmd.op === "close") break;
}
await browser.close().catch(() => {});
process.exit(0);
