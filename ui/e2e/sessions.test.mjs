// Per-profile sessions in the real window: a profile whose MySQL host accepts connections and
// never answers stalls only itself while another profile's screens keep answering, and a
// password edited in a profile is used by the very next call, without a restart.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const primarySql = (query) =>
  execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query]).toString().trim();

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
/** A TCP listener that accepts and never says a word: a host gone dark behind a firewall. */
const blackHole = createServer(() => {});
const sockets = [];
blackHole.on("connection", (c) => sockets.push(c));

/** Calls a shell command from the page: `{ value }` or `{ rejected }`, and how long it took. */
const call = (command, args) =>
  s.evalAsync(
    (c, a) => {
      const t = Date.now();
      return window.__TAURI_INTERNALS__.invoke(c, a).then(
        (value) => ({ value, ms: Date.now() - t }),
        (rejected) => ({ rejected, ms: Date.now() - t }),
      );
    },
    [command, args],
  );

before(async () => {
  await new Promise((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
  storeSandboxProfile();
  // A profile like the sandbox's whose primary is the black hole.
  const storeFile = env("E2E_STORE_FILE");
  const store = JSON.parse(readFileSync(storeFile, "utf8"));
  const sandbox = store.profiles.find((p) => p.name === "sandbox");
  const dark = { ...sandbox, name: "dark", replicas: [], redis: undefined, mysql: { ...sandbox.mysql, socket: null, host: "127.0.0.1", port: blackHole.address().port } };
  store.profiles = store.profiles.filter((p) => p.name !== "dark").concat([dark]);
  writeFileSync(storeFile, JSON.stringify(store));
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.clickOn("#active-profile option[value=sandbox]", 20000);
});
after(async () => {
  await s?.end();
  for (const c of sockets) c.destroy();
  blackHole.close();
});

test("a black-holed profile stalls only itself: another profile's screens keep answering", async () => {
  // The dark profile's overview starts and hangs until its connect times out.
  await s.cmd("POST", "/execute/sync", {
    script: `window.__dark = { done: false };
      window.__TAURI_INTERNALS__.invoke("load_overview", { name: "dark" })
        .then((v) => v, (e) => ({ databaseError: e }))
        .then((v) => { window.__dark = { done: true, value: v }; });
      return true;`,
    args: [],
  });
  for (const deadline = Date.now() + 5000; sockets.length === 0; ) {
    assert.ok(Date.now() < deadline, "the dark profile connects to the black hole");
    await new Promise((r) => setTimeout(r, 50));
  }
  const timings = [];
  for (let i = 0; i < 3; i += 1) {
    const page = await call("find_users", { name: "sandbox", search: { limit: 50 }, after: null, fromReplica: false });
    assert.ok(page.value?.rows?.length > 0, JSON.stringify(page).slice(0, 300));
    const overview = await call("load_overview", { name: "sandbox" });
    assert.ok(overview.value?.database, JSON.stringify(overview).slice(0, 300));
    timings.push(page.ms, overview.ms);
  }
  const stillDark = await s.cmd("POST", "/execute/sync", { script: "return window.__dark.done", args: [] });
  assert.equal(stillDark, false, "the dark profile is still waiting while the others answered");
  // Far below the dark connect's 5 s: the sandbox's calls never waited for it.
  assert.ok(Math.max(...timings) < 2000, `the sandbox answered in ${timings.map((t) => t.toFixed(0)).join(", ")} ms`);
  // The window's own screen too.
  await s.clickOn("nav button[data-screen=users]");
  await s.waitFor("[aria-label=Users] [role=row] [data-column=id]", 3000);
  await shot("60-sessions-dark-profile-isolated");
  // And the dark one ends as a timeout, not a hang.
  const dark = await s.waitUntil(() => (window.__dark.done ? window.__dark.value : null), [], 20000, "the dark profile to time out");
  assert.ok(["timeout", "unreachable"].includes(dark.databaseError?.kind), JSON.stringify(dark));
});

test("a password edited in a profile is used by the next call, without a restart", async () => {
  primarySql("DROP USER IF EXISTS 'mp_pw'@'127.0.0.1'");
  primarySql("CREATE USER 'mp_pw'@'127.0.0.1' IDENTIFIED BY 'right-Pass-1'");
  primarySql("GRANT SELECT ON mindpal.* TO 'mp_pw'@'127.0.0.1'");
  const profile = {
    name: "pwtest",
    role: "operator",
    readOnly: true,
    mysql: { host: "127.0.0.1", port: PORT, socket: null, user: "mp_pw", passwordSaved: false, database: "mindpal", tls: "disabled", caFile: null },
    replicas: [],
  };
  const save = (password, originalName) =>
    call("save_profile", { input: { profile, originalName, passwords: { mysql: password, replicas: [], redis: null }, sessionOnly: false } });
  const saved = await save("wrong-Pass-1", null);
  assert.ok(saved.value, JSON.stringify(saved));
  const refused = await call("load_overview", { name: "pwtest" });
  assert.equal(refused.value?.databaseError?.kind, "authFailed", JSON.stringify(refused).slice(0, 300));
  const edited = await save("right-Pass-1", "pwtest");
  assert.ok(edited.value, JSON.stringify(edited));
  const answered = await call("load_overview", { name: "pwtest" });
  assert.ok(answered.value?.database, JSON.stringify(answered).slice(0, 300));
  // Read-only: its permissions say so, and the core refuses a change.
  assert.ok(!edited.value.permissions.includes("backup") && edited.value.permissions.includes("monitor"));
  primarySql("DROP USER 'mp_pw'@'127.0.0.1'");
});
