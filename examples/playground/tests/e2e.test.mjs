// End-to-end test of the built playground in headless Chromium (Debian's
// chromium, driven by playwright-core):
//
//   PLAYGROUND_URL=http://127.0.0.1:PORT/ node --test tests/e2e.test.mjs
//
// test.sh serves dist/ on 127.0.0.1 with tests/serve.mjs and passes its URL.
// The test loads the page, sees the sample request allowed and its response
// masked, denies a request and reads the reason and the highlighted rule,
// introduces a mistake into the policy and sees the diagnostic, shares the
// policy and request by URL and opens the link, draws the decision tree,
// and runs the in-page benchmark (bench.html). Screenshots and the
// benchmark figures go to target/playground-e2e/. The page must make no
// request beyond 127.0.0.1.
//
// Chromium: $CHROMIUM, else /usr/bin/chromium (or chromium-browser). Without
// it the test fails under CI=true and is skipped with a notice otherwise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..", "..");
const artifacts = join(root, "target", "playground-e2e");
const base = process.env.PLAYGROUND_URL;
const browserPath = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
const ci = process.env.CI === "true";

let skip = false;
if (!browserPath) {
  const message = "chromium is not installed (apt-get install chromium; .ci/run installs it)";
  if (ci) throw new Error(`${message}: the browser test cannot run under CI=true`);
  console.log(`NOTICE: skipping the browser test: ${message}`);
  skip = true;
}
if (!base) throw new Error("set PLAYGROUND_URL to the served dist/ (examples/playground/test.sh does)");

test("the playground works in a real browser", { skip, timeout: 180_000 }, async (t) => {
  const { chromium } = await import("playwright-core");
  mkdirSync(artifacts, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 1000 },
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(base).origin });
  const errors = [];
  const foreign = [];
  context.on("request", (r) => {
    const url = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && !["data:", "blob:"].includes(url.protocol)) foreign.push(r.url());
  });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  try {
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(base);
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    const decision = page.locator("#decision");

    await t.test("loads the pet store and allows its sample request", async () => {
      assert.equal(await page.inputValue("#policy-picker"), "petstore.gate");
      await page.waitForSelector("#decision.allow");
      assert.equal(await decision.getAttribute("data-reason"), "allowed");
      assert.match(await decision.locator(".verdict").innerText(), /ALLOW\s+200/);
      assert.match(await page.locator("#policy-status").innerText(), /compiled · 7 endpoints/);
      await shot(page, "01-allowed");
    });

    await t.test("masks the sample response", async () => {
      await page.click("[data-tab=response]");
      const masked = JSON.parse(await page.locator("#masked").innerText());
      assert.equal(masked.ssn, "*******1120");
      assert.equal(masked.password_hash, undefined, "response only drops the rest");
      assert.equal(await page.locator("#mask-status").innerText(), "masked");
      await shot(page, "02-masked-response");
    });

    await t.test("denies another user's profile and highlights the rule", async () => {
      const principal = JSON.parse(await page.inputValue("#principal"));
      await page.fill("#principal", JSON.stringify({ ...principal, subject: "bob" }, null, 2));
      await page.click("#evaluate-btn");
      await page.waitForSelector("#decision.deny");
      assert.equal(await decision.getAttribute("data-reason"), "condition_failed");
      assert.match(await decision.locator(".verdict").innerText(), /DENY\s+403/);
      assert.match(await decision.locator(".message").innerText(), /condition .* is false/);
      assert.match(await decision.locator("code.rule").innerText(), /^when path\.uid == principal\.sub/);
      // The rule is highlighted in the editor, and the trace marks its step.
      assert.match(await page.locator(".cm-deciding-rule").first().innerText(), /when path\.uid/);
      await page.click("[data-tab=explain]");
      assert.match(await page.locator(".step.deciding").innerText(), /condition/);
      assert.equal(await page.locator("#mask-status").innerText(), "request denied");
      await shot(page, "03-denied");
    });

    await t.test("shows a diagnostic for a mistake in the policy", async () => {
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\nendpoint GET /oops { require pets:raed }");
      const diag = page.locator(".diag.error").first();
      await diag.waitFor({ timeout: 10_000 });
      assert.match(await diag.innerText(), /GH-E\d{4}/);
      assert.match(await diag.innerText(), /pets:raed/);
      assert.match(await page.locator("#policy-status").innerText(), /error/);
      await page.locator(".cm-lintRange-error").first().waitFor();
      assert.equal(await decision.getAttribute("class"), "decision empty");
      await shot(page, "04-diagnostic");
      // Back to the sample: the picker reloads the policy.
      await page.selectOption("#policy-picker", "banking.gate");
      await page.selectOption("#policy-picker", "petstore.gate");
      await page.waitForSelector("#decision.allow");
      assert.equal(await page.locator(".diag.error").count(), 0);
    });

    await t.test("shares the policy and request by URL", async () => {
      await page.fill("#path", "/v1/pets/42");
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+End");
      await page.keyboard.type("\n# shared from the test");
      await page.click("#evaluate-btn");
      await page.waitForSelector("#decision[data-reason=insufficient_scope]");
      const text = await page.evaluate(() => window.playground.text());
      await page.click("#share-btn");
      await page.waitForSelector("#share-dialog[open]");
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await page.inputValue("#share-url"));
      const url = await page.inputValue("#share-url");
      assert.match(url, /#s=[A-Za-z0-9_-]+$/);
      await page.click("#share-dialog button");
      await page.waitForSelector("#share-dialog:not([open])", { state: "attached" });
      const copy = await context.newPage();
      await copy.goto(url);
      await copy.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
      const restored = await copy.evaluate(() => window.playground.text());
      assert.equal(restored, text);
      assert.equal(await copy.inputValue("#path"), "/v1/pets/42");
      assert.equal(await copy.inputValue("#principal"), await page.inputValue("#principal"));
      await copy.waitForSelector("#decision[data-reason=insufficient_scope]");
      await shot(copy, "05-shared-link");
      await copy.close();
    });

    await t.test("draws the decision tree", async () => {
      await page.click("[data-tab=tree]");
      const nodes = page.locator(".tree-svg g.node");
      assert.ok((await nodes.count()) >= 5);
      assert.ok((await page.locator(".tree-svg g.node.selected").count()) === 1, "the decided endpoint is marked");
      await shot(page, "06-tree");
    });

    await t.test("runs the in-page benchmark", async () => {
      const bench = await context.newPage();
      await bench.goto(new URL("bench.html?auto", base).href);
      await bench.waitForFunction(() => window.benchResults, null, { timeout: 120_000 });
      const results = await bench.evaluate(() => window.benchResults);
      assert.equal(results.error, undefined, results.error);
      writeFileSync(join(artifacts, "bench.json"), JSON.stringify(results, null, 2));
      console.log(
        `in-page benchmark (median per request over ${results.decide.requests} requests): ` +
          `decide ${(results.decide.median_ns / 1000).toFixed(3)} µs, evaluate ${(results.evaluate.median_ns / 1000).toFixed(2)} µs`,
      );
      assert.ok(results.decide.median_ns > 0 && results.evaluate.median_ns > 0);
      await shot(bench, "07-bench");
      await bench.close();
    });

    assert.deepEqual(errors, [], "no errors in the page");
    assert.deepEqual(foreign, [], "no request beyond 127.0.0.1");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
