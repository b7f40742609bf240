// Monitoring and the cache browser in the real window against the sandbox: QPS that moves
// while a load runs, a long transaction opened here seen with its age and killed (audited),
// a running statement sent to EXPLAIN, the tuning advisor's live values, and `user:*`
// browsed page by page to a user's cached JSON and on to the user.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const ARGS = ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal"];
const primarySql = (query) => execFileSync("mariadb", [...ARGS, "-e", query]).toString().trim();
/** A client of its own running `sql`; resolves `exited` when it ends. */
function client(sql) {
  const child = spawn("mariadb", [...ARGS, "-e", sql], { stdio: ["ignore", "ignore", "pipe"] });
  child.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return child;
}

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
const qps = () => s.waitUntil(() => Number(document.querySelector("[data-testid=qps]")?.textContent ?? "NaN"), [], 15000, "a QPS figure");

before(async () => {
  storeSandboxProfile();
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.clickOn("#active-profile option[value=sandbox]", 20000);
});
after(async () => {
  await s?.end();
});

test("the dashboard's QPS climbs while a load runs against the sandbox and falls after", async () => {
  await s.clickOn("nav button[data-screen=monitor]");
  await s.waitFor("[data-testid=qps]", 20000);
  const idle = await qps();
  // Thirty thousand point lookups from one client, as fast as it can send them.
  const load = spawn("mariadb", ARGS, { stdio: ["pipe", "ignore", "ignore"] });
  // Listened for at once: the load may end before the window shows it, and a late listener
  // would wait for an exit that already happened.
  const loadDone = new Promise((resolve) => load.on("exit", resolve));
  for (let i = 0; i < 30000; i++) load.stdin.write(`SELECT nickname FROM users WHERE id = ${(i % 1000) + 1};\n`);
  load.stdin.end();
  const busy = await s.waitUntil((floor) => {
    const v = Number(document.querySelector("[data-testid=qps]")?.textContent ?? "0");
    return v > floor ? v : null;
  }, [Math.max(200, idle * 5)], 30000, "QPS under load");
  await s.waitFor("[role=img][aria-label='Queries per second'] canvas");
  await shot("50-monitor-dashboard-under-load");
  await loadDone;
  const calm = await s.waitUntil((ceiling) => {
    const v = Number(document.querySelector("[data-testid=qps]")?.textContent ?? "NaN");
    return v < ceiling ? String(v) : null;
  }, [busy / 2], 20000, "QPS after the load");
  assert.ok(Number(calm) < busy, `${busy} under load, ${calm} after`);
});

test("a long transaction opened by the test shows its age and is killed from the window", async () => {
  const holder = client("START TRANSACTION; UPDATE users SET nickname = nickname WHERE id = 1; SELECT SLEEP(600);");
  await s.clickOn("nav button[data-screen=monitor]");
  await s.clickOn("[data-tab=sessions]");
  await s.fill("[data-filter=long-after]", "3");
  const thread = await s.waitUntil(() => {
    for (const row of document.querySelectorAll("[data-testid=long-transactions] [role=row][data-thread]")) {
      if (row.textContent.includes("SLEEP(600)") && Number(row.querySelector("[data-testid=trx-age]").dataset.seconds) >= 3) return row.dataset.thread;
    }
    return null;
  }, [], 30000, "the long transaction");
  assert.equal(primarySql("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600)%'"), thread);
  await shot("51-monitor-long-transaction");
  await s.clickOn(`[data-testid=long-transactions] [role=row][data-thread="${thread}"] [data-action=kill-connection]`);
  await s.clickOn("[role=alertdialog] [data-action=confirm]");
  const code = await holder.exited;
  assert.notEqual(code, 0, "the killed client's connection is gone");
  await s.waitUntil((t) => !document.querySelector(`[data-testid=long-transactions] [role=row][data-thread="${t}"]`), [thread], 15000, "the row to go");
  assert.equal(primarySql(`SELECT COUNT(*) FROM operation_logs WHERE action = 'session.kill' AND resource_id = ${thread}`), "1");
  assert.equal(primarySql("SELECT COUNT(*) FROM information_schema.INNODB_TRX"), "0", "its transaction rolled back");

  // A running statement goes to EXPLAIN in one click.
  const sleeper = client("SELECT SLEEP(20), COUNT(*) FROM conversations WHERE status = 1");
  await s.fill("[data-filter=long-after]", "60");
  // The window's own monitoring queries are sessions too: pick the sleeper's row by its text.
  const session = await s.waitUntil(() => {
    for (const row of document.querySelectorAll("[data-testid=processlist] [role=row][data-session]")) {
      if (row.textContent.includes("SLEEP(20)")) return row.dataset.session;
    }
    return null;
  }, [], 15000, "the running statement");
  await s.clickOn(`[data-testid=processlist] [role=row][data-session="${session}"] [data-action=explain]`);
  const sql = await s.waitUntil(() => document.querySelector(".sql-editor")?.shadowRoot?.querySelector(".cm-content")?.textContent, [], 15000, "the editor");
  assert.match(sql, /FROM conversations WHERE status = 1/);
  sleeper.kill();
});

test("the tuning advisor lists the sandbox's live settings beside the platform's", async () => {
  await s.clickOn("nav button[data-screen=monitor]");
  await s.clickOn("[data-tab=advisor]");
  const pool = await s.text("[data-testid=advisor] tr[data-setting=innodb_buffer_pool_size] [data-testid=current]", 20000);
  assert.match(pool, /^256 MiB/, "the sandbox runs a 256M buffer pool");
  assert.equal(await s.text("[data-testid=advisor] tr[data-setting=max_connections] [data-testid=current]"), primarySql("SELECT @@max_connections"));
  const policy = await s.text("[data-testid=advisor] tr[data-setting=maxmemory-policy] [data-testid=current]");
  const live = execFileSync("redis-cli", ["-p", String(PORT + 2), "CONFIG", "GET", "maxmemory-policy"]).toString().trim().split("\n")[1];
  assert.equal(policy, live);
  assert.match(await s.text("[data-testid=advisor]"), /70–80 % of memory/);
  await shot("52-monitor-advisor");
});

test("browsing user:* pages through keys and opens a user's JSON linked to the user", async () => {
  await s.clickOn("nav button[data-screen=cache]");
  await s.waitFor("[data-testid=redis-status] [data-testid=hit-rate]", 20000);
  await s.clickOn("[data-field=page-size] option[value='50']");
  await s.clickOn("[data-action=scan]");
  await s.waitFor("[data-testid=key-list] [role=row][data-key]", 15000);
  // The grid draws the rows in view; how many it holds is its row count.
  const count = () => s.waitUntil(() => Number(document.querySelector("[data-testid=key-list] [role=grid]")?.getAttribute("aria-rowcount")), [], 5000, "keys");
  const first = await count();
  assert.ok(first >= 50, `a first page of keys: ${first}`);
  await s.clickOn("[data-action=more-keys]");
  await s.waitUntil((n) => Number(document.querySelector("[data-testid=key-list] [role=grid]")?.getAttribute("aria-rowcount")) > n, [first], 15000, "a second page");
  const keys = (await s.gridRows("[data-testid=key-list]", "key")).map(([k]) => k);
  assert.equal(keys.length, await count(), "every listed key walked");
  assert.ok(keys.every((k) => k.startsWith("user:")), "only user keys");
  assert.equal(new Set(keys).size, keys.length, "no key listed twice");

  // The walk ended at the bottom of the list: open the last key, which is in view.
  const key = keys[keys.length - 1];
  const id = Number(key.split(":")[1]);
  await s.clickOn(`[data-testid=key-list] [role=row][data-key="${key}"] button`);
  const json = await s.text("[data-testid=key-view] [data-testid=key-json]", 15000);
  assert.equal(JSON.parse(json).id, String(id));
  await shot("53-cache-user-json");
  await s.clickOn(`[data-testid=key-view] [data-link="user:${id}"]`);
  await s.waitFor(`[data-testid=user-detail][aria-label="User ${id}"]`, 15000);
});
