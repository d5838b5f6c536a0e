// The portal in a real browser: playwright-core drives Debian's chromium against the real
// `p6auth serve` (port 0, a temporary data directory). Run by scripts/test.sh after
// `cargo build`; P6AUTH_BIN names the binary (default: target/debug/p6auth).
//
// It follows the sessions contract with the auth half: the bootstrap admin's activation link is
// in <data-dir>/outbox/*.eml, /activate has `password`, `password_confirm` and "Set password",
// the login page has `email`, `password` and "Sign in", logout ends on a "Signed out" page.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const bin = process.env.P6AUTH_BIN || join(root, process.env.CARGO_TARGET_DIR || "target", "debug", "p6auth");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = join(root, "test-output", "browser");
const ADMIN = "admin@example.com";
const PASSWORD = "correct horse battery staple 42";

const dataDir = mkdtempSync(join(tmpdir(), "p6auth-browser-"));
mkdirSync(shots, { recursive: true });

function cli(...args) {
  return execFileSync(bin, ["--data-dir", dataDir, ...args], { encoding: "utf8" });
}

function startServer() {
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, P6AUTH_LOG: "warn" },
  });
  return new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.match(/^p6auth listening on (\S+)/);
      if (m) ok({ child, base: m[1].includes("://") ? m[1] : `http://${m[1]}` });
    });
    child.on("exit", (code) => fail(new Error(`p6auth serve exited (${code}) before listening`)));
  });
}

/** The newest activation link mailed to `email`. */
function activationLink(email) {
  const dir = join(dataDir, "outbox");
  const mails = readdirSync(dir)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs, text: readFileSync(join(dir, f), "utf8") }))
    .filter((m) => m.text.toLowerCase().includes(email))
    .sort((a, b) => a.t - b.t);
  assert.ok(mails.length > 0, `no activation mail for ${email} in ${dir}`);
  const text = mails.at(-1).text.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
  const m = text.match(/\/activate\?token=[^\s"<>]+/);
  assert.ok(m, `no activation link in the mail to ${email}`);
  return m[0];
}

/** Activates `email` from the outbox (unless done) and signs in; ends on a portal page. */
async function signIn(context, base, email, { activate = true } = {}) {
  const page = await context.newPage();
  watchConsole(page);
  if (activate) {
    await page.goto(base + activationLink(email));
    await page.locator('[name="password"]').fill(PASSWORD);
    await page.locator('[name="password_confirm"]').fill(PASSWORD);
    await page.getByRole("button", { name: "Set password" }).click();
  }
  await page.goto(`${base}/admin`);
  await page.locator('[name="email"]').fill(email);
  await page.locator('[name="password"]').fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/admin\/i\//);
  return page;
}

const consoleErrors = [];
function watchConsole(page) {
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
}

/** The curl command shown on the page, run as is; its HTTP status and JSON body. */
function runCurl(command) {
  const out = execFileSync("sh", ["-c", `${command} -s -w '\\n%{http_code}'`], { encoding: "utf8" });
  const lines = out.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join("\n")) };
}

async function eventually(what, check, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last.ok) return last;
    // failed client authentications count towards a limit: do not hammer
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${what}: ${JSON.stringify(last)}`);
}

async function step(name, f) {
  process.stdout.write(`- ${name} ... `);
  await f();
  process.stdout.write("ok\n");
}

const { child, base } = await startServer();
const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
try {
  // a delegated admin over /acme/Sales, users on and off its branch
  cli("instance", "create", "acme");
  cli("user", "set-access", ADMIN, "--instance", "acme", "--set", "Instance Admin");
  cli("org", "add", "/acme", "Sales");
  cli("org", "add", "/acme/Sales", "EMEA");
  cli("org", "add", "/acme", "HR");
  cli("permission-set", "create", "--instance", "acme", "--name", "Sales admin",
    "--permission", "admin=view", "--permission", "users=read('./*')");
  for (const [email, last, position] of [
    ["ann@acme.test", "Able", "/acme/Sales"],
    ["bob@acme.test", "Baker", "/acme/Sales/EMEA"],
    ["cat@acme.test", "Cole", "/acme/HR"],
  ]) {
    cli("user", "create", email, "--last-name", last);
    cli("user", "set-access", email, "--instance", "acme", "--position", position);
  }
  cli("user", "create", "lead@acme.test", "--last-name", "Lead");
  cli("user", "set-access", "lead@acme.test", "--instance", "acme", "--set", "Sales admin", "--position", "/acme/Sales");

  const adminContext = await browser.newContext({ baseURL: base });
  let page;
  await step("the bootstrap admin activates from the outbox link and signs in", async () => {
    page = await signIn(adminContext, base, ADMIN);
    await page.waitForURL(/\/admin\/i\/[^/]+\/users/);
    await page.goto(`${base}/admin/i/default/users`);
    assert.equal(await page.locator("#signed-in-user").textContent(), ADMIN);
    await page.screenshot({ path: join(shots, "users.png"), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: join(shots, "users-narrow.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step("a permission set is created; a bad permission is shown as you type and refused", async () => {
    await page.getByRole("link", { name: "Permission sets" }).click();
    await page.getByRole("link", { name: "New permission set" }).click();
    await page.getByLabel("Name").fill("Readers");
    await page.getByLabel("Permissions, one per line").fill("users#=read");
    await page.locator("#set-permissions-errors").getByText("Line 1, position 5: unexpected character '#' in feature").waitFor();
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("alert").getByText("at position 5: unexpected character '#' in feature").waitFor();
    await page.getByLabel("Permissions, one per line").fill("users=read");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByText("Permission set Readers created").waitFor();
    assert.ok(await page.locator("#sets-table").getByText("Readers", { exact: true }).isVisible());
    await page.screenshot({ path: join(shots, "permission-sets.png"), fullPage: true });
  });

  let curl;
  await step("an integration is created with both Generate buttons, and its curl command gets a token", async () => {
    await page.getByRole("link", { name: "Integrations" }).click();
    await page.getByRole("link", { name: "New integration" }).click();
    await page.getByLabel("Name").fill("ERP");
    await page.getByLabel("Redirect URI").fill("https://erp.example.com/callback");
    const generate = page.getByRole("button", { name: "Generate" });
    await generate.nth(0).click();
    await generate.nth(1).click();
    await eventually("generated values", async () => ({
      ok: /^[0-9a-f-]{36}$/.test(await page.getByLabel("Application ID").inputValue())
        && /^p6s_[A-Za-z0-9_-]{43}$/.test(await page.getByLabel("App Secret").inputValue()),
    }));
    await page.getByLabel("Policies, one per line: instance/permission set").fill("default/Readers");
    await page.screenshot({ path: join(shots, "integration-new.png"), fullPage: true });
    await page.getByRole("button", { name: "Create integration" }).click();
    curl = await page.locator("#curl-command").textContent();
    assert.match(curl, /^curl -d "redirect_uri=.*&client_id=.*&client_secret=p6s_.*&grant_type=client_credentials" http.*\/oauth\/token$/);
    await page.screenshot({ path: join(shots, "integrations.png"), fullPage: true });
    const r = await eventually("a token", async () => { const r = runCurl(curl); return { ok: r.status === 200, ...r }; });
    assert.equal(r.body.token_type, "Bearer");
  });

  await step("disabled in the UI, the integration gets invalid_client", async () => {
    await page.getByRole("link", { name: "Back to the integration" }).click();
    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByText("Integration disabled").waitFor();
    const r = await eventually("invalid_client", async () => { const r = runCurl(curl); return { ok: r.status === 401, ...r }; });
    assert.equal(r.body.error, "invalid_client");
  });

  await step("the org tree of acme, chosen with the instance selector", async () => {
    await page.getByLabel("Instance", { exact: true }).selectOption("acme");
    await page.getByRole("button", { name: "Go" }).click();
    await page.getByRole("link", { name: "Org tree" }).click();
    await page.locator("#org-tree").getByRole("link", { name: "EMEA" }).waitFor();
    await page.screenshot({ path: join(shots, "org-tree.png"), fullPage: true });
  });

  await step("a delegated admin at /acme/Sales sees only its users and no Integrations tab", async () => {
    await page.goto(`${base}/admin/i/acme/users/lead%40acme.test`);
    await page.getByRole("button", { name: "Resend activation" }).click();
    await page.getByText("An activation message was sent to lead@acme.test").waitFor();
    const leadContext = await browser.newContext({ baseURL: base });
    const lead = await signIn(leadContext, base, "lead@acme.test");
    await lead.waitForURL(/\/admin\/i\/acme\/users/);
    const emails = (await lead.locator("#users-table tbody tr td:first-child").allTextContents()).sort();
    assert.deepEqual(emails, ["ann@acme.test", "bob@acme.test", "lead@acme.test"]);
    const tabs = await lead.getByRole("navigation", { name: "Sections" }).getByRole("link").allTextContents();
    assert.deepEqual(tabs, ["Users"]);
    const refused = await lead.goto(`${base}/admin/i/acme/integrations`);
    assert.equal(refused.status(), 403);
    await lead.goto(`${base}/admin/i/acme/users`);
    await lead.screenshot({ path: join(shots, "delegated-users.png"), fullPage: true });
    await leadContext.close();
  });

  await step("logout", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Signed out" }).waitFor();
    const back = await page.goto(`${base}/admin/i/default/users`);
    assert.match(back.url(), /\/(admin\/login|oauth\/authorize)/);
  });

  assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e)), [], "no CSP violations");
  console.log(`browser tests passed; screenshots in ${shots}`);
} finally {
  await browser.close();
  child.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
