// The fleet overview in the real window: two sandboxes and one profile whose port is closed.
// With more than one profile the console opens on the fleet; the dead profile is marked an
// alarm within its own limit while both sandboxes show real figures, one with the age of the
// backup in its backup folder.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const cli = (...args) => spawnSync(env("E2E_CLI"), args, { encoding: "utf8" });
const work = mkdtempSync(join(tmpdir(), "mindpal-fleet-"));

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

/** The first of `n` consecutive free loopback ports. */
async function freeRun(n) {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    const servers = [];
    try {
      for (let p = base; p < base + n; p++) {
        const srv = createServer();
        await new Promise((ok, fail) => {
          srv.once("error", fail);
          srv.listen(p, "127.0.0.1", ok);
        });
        servers.push(srv);
      }
      return base;
    } catch {
      // taken: try another run
    } finally {
      for (const srv of servers) srv.close();
    }
  }
  throw new Error("no free ports");
}

/** A loopback port nothing listens on. */
async function closedPort() {
  const srv = createServer();
  await new Promise((ok) => srv.listen(0, "127.0.0.1", ok));
  const port = srv.address().port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

before(async () => {
  storeSandboxProfile();
  // A second deployment: a sandbox of this test's own, empty.
  const stagingStore = join(work, "profiles.json");
  const up = cli("--profiles-file", stagingStore, "sandbox", "up", "--dir", join(work, "staging"), "--port-base", String(await freeRun(5)), "--no-seed");
  assert.equal(up.status, 0, up.stderr);
  // A backup of the first sandbox in the folder its profile names.
  const backups = join(work, "backups");
  const made = cli("--profiles-file", env("E2E_SPARE_STORE"), "--profile", "sandbox", "backup", "run", "--out", backups);
  assert.equal(made.status, 0, made.stderr);

  const storeFile = env("E2E_STORE_FILE");
  const store = JSON.parse(readFileSync(storeFile, "utf8"));
  const sandbox = { ...store.profiles.find((p) => p.name === "sandbox"), backupDir: backups };
  const staging = { ...JSON.parse(readFileSync(stagingStore, "utf8")).profiles[0], name: "staging" };
  const dead = {
    ...sandbox,
    name: "eu-dead",
    replicas: [],
    redis: undefined,
    backupDir: undefined,
    mysql: { ...sandbox.mysql, socket: null, port: await closedPort() },
    alerts: { timeoutMs: 3000 },
  };
  // Only these three: the fleet of this test.
  store.profiles = [sandbox, staging, dead];
  writeFileSync(storeFile, JSON.stringify(store));
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
});
after(async () => {
  await s?.end();
  // The files after this one find the store as it was: the sandbox profile alone.
  const storeFile = env("E2E_STORE_FILE");
  const store = JSON.parse(readFileSync(storeFile, "utf8"));
  store.profiles = store.profiles.filter((p) => p.name === "sandbox");
  for (const p of store.profiles) delete p.backupDir;
  writeFileSync(storeFile, JSON.stringify(store));
  cli("sandbox", "down", "--dir", join(work, "staging"), "--purge");
  rmSync(work, { recursive: true, force: true });
});

test("three profiles: the dead one is an alarm within its limit, the sandboxes show real figures", async () => {
  // Opened on the fleet, with no click: there is more than one profile.
  await s.waitFor("[data-fleet-profile=eu-dead]", 20000);
  const started = Date.now();
  await s.waitFor("[data-fleet-profile=eu-dead][data-severity=critical]", 10000);
  assert.ok(Date.now() - started < 10000);
  const dead = await s.text("[data-fleet-profile=eu-dead]");
  assert.match(dead, /primary\s*unreachable/i);
  assert.match(dead, /Primary\s*unreachable/);

  // The sandbox: its version, replication with its replica, Redis, load, the backup's age.
  await s.waitUntil(() => !!document.querySelector("[data-fleet-profile=sandbox]:not([data-severity=pending]) [data-figure=primary]"), [], 20000, "the sandbox's figures");
  const primary = await s.text("[data-fleet-profile=sandbox] [data-figure=primary]");
  assert.match(primary, /MariaDB 10\.\d+/);
  assert.match(await s.text("[data-fleet-profile=sandbox] [data-figure=replication]"), /healthy · 1 replica/);
  assert.match(await s.text("[data-fleet-profile=sandbox] [data-figure=redis]"), /B/);
  assert.match(await s.text("[data-fleet-profile=sandbox] [data-figure=load]"), /QPS/);
  assert.match(await s.text("[data-fleet-profile=sandbox] [data-figure=backup]"), /\d+ min old · mindpal/);
  assert.equal(await s.text("[data-fleet-profile=sandbox] [data-figure=schema]"), "up to date");

  // The second sandbox answers on its own: figures, not a dash.
  await s.waitUntil(() => !!document.querySelector("[data-fleet-profile=staging]:not([data-severity=pending]) [data-figure=primary]"), [], 20000, "staging's figures");
  assert.match(await s.text("[data-fleet-profile=staging] [data-figure=primary]"), /MariaDB/);
  assert.match(await s.text("[data-fleet-profile=staging] [data-figure=backup]"), /no backup folder set/);

  // Worst first: the dead profile's card comes before the others.
  const order = await s.waitUntil(() => [...document.querySelectorAll("[data-fleet-profile]")].map((c) => c.dataset.fleetProfile), [], 5000, "the cards");
  assert.equal(order[0], "eu-dead");
  await shot("60-fleet");

  // Open takes the profile to its overview.
  await s.clickOn("[data-fleet-profile=sandbox] [data-action=fleet-open]");
  await s.waitFor(".overview[data-profile=sandbox]", 15000);
});
