// Replication health in the real window against the sandbox's own primary/replica pair,
// Redis replica and Sentinel: healthy, then lagging with a lag that grows while the
// replica's SQL thread is stopped, then healthy again; the CLI's exit codes follow.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
const SPARE = env("E2E_SPARE_STORE");
mkdirSync(SHOTS, { recursive: true });
const replicaSql = (query) => execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT + 1}`, "-uroot", "-N", "-B", "-e", query]).toString().trim();
const primarySql = (query) => execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query]).toString().trim();
const cliStatus = () => spawnSync(env("E2E_CLI"), ["--profiles-file", SPARE, "--profile", "sandbox", "replication", "status"]).status;

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
const lag = () =>
  s.waitUntil(() => {
    const v = document.querySelector("[data-testid=replica] [data-testid=lag]")?.getAttribute("data-lag");
    return v ? Number(v) : null;
  }, [], 15000, "a lag number");

before(async () => {
  storeSandboxProfile();
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.waitFor("#active-profile option[value=sandbox]", 20000);
  await s.clickOn("#active-profile option[value=sandbox]");
});
after(async () => {
  replicaSql("START SLAVE SQL_THREAD");
  await s?.end();
});

test("the sandbox is healthy, lags with a growing lag while the SQL thread is stopped, and heals", async () => {
  await s.clickOn("nav button[data-screen=replication]");
  await s.waitFor("[data-testid=replica][data-verdict=healthy]", 20000);
  await s.waitFor("[data-testid=topology] [data-verdict=healthy]");
  assert.match(await s.text("[data-testid=redis-replication]"), /master 127\.0\.0\.1:\d+ with 1 replica/);
  assert.equal(cliStatus(), 0, "the CLI says healthy: exit 0");

  // True lag needs a heartbeat: created from the window (audited) and kept beating.
  await s.clickOn("[data-action=create-heartbeat]");
  await s.waitUntil(() => document.querySelector("[data-testid=replica] [data-testid=lag]")?.textContent?.includes("(heartbeat)"), [], 20000, "the heartbeat's lag");
  assert.equal(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'replication.heartbeat.create'"), "1");
  await shot("30-replication-healthy");

  replicaSql("STOP SLAVE SQL_THREAD");
  await s.waitFor("[data-testid=replica][data-verdict=lagging]", 20000);
  assert.match(await s.text("[data-testid=replica] [data-testid=reason]"), /SQL thread stopped/);
  const first = await lag();
  // The lag keeps growing while the SQL thread is stopped: wait for it to pass first + 2 s.
  const deadline = Date.now() + 20000;
  let later = first;
  while (later <= first + 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    later = await lag();
  }
  assert.ok(later > first + 2, `the lag grows while the SQL thread is stopped (${first} s, then ${later} s)`);
  assert.equal(cliStatus(), 1, "the CLI says degraded: exit 1");
  await s.waitFor("[data-testid=lag-chart] canvas");
  await shot("31-replication-lagging");

  replicaSql("START SLAVE SQL_THREAD");
  await s.waitFor("[data-testid=replica][data-verdict=healthy]", 20000);
  assert.equal(cliStatus(), 0, "healthy again: exit 0");
  await shot("32-replication-healthy-again");
  // Stop writing the heartbeat before the window closes.
  await s.clickOn("input[name=beat]");
});
