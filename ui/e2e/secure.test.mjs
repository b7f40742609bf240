// Production-like, in the real window: a secure sandbox (passwords on every account, TLS
// required by MariaDB and Redis, an SSH bastion in front) is entered in the profile form as an
// operator would enter production, its bastion's host key trusted once, tested (path and TLS
// shown), then used for users, a conversation, EXPLAIN and replication; the app's log and its
// saved diagnostics hold none of the passwords typed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env } from "./sandbox.mjs";

const SHOTS = env("E2E_ARTIFACTS");
const CLI = env("E2E_CLI");
const DIR = join(env("E2E_SANDBOX_DIR"), "..", "secure-sandbox");
const CLI_STORE = join(env("E2E_SANDBOX_DIR"), "..", "secure-profiles.json");
mkdirSync(SHOTS, { recursive: true });

let s;
let sandbox;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
const cli = (...args) => execFileSync(CLI, args, { stdio: "pipe" }).toString();

const listens = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/** The first of six consecutive free loopback ports, below the ephemeral range. */
async function freeRun() {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    let free = true;
    for (let p = base; p < base + 6 && free; p++) free = await listens(p);
    if (free) return base;
  }
  throw new Error("no six free ports");
}

before(async () => {
  const base = await freeRun();
  cli("--profiles-file", CLI_STORE, "sandbox", "up", "--dir", DIR, "--port-base", String(base), "--secure", "--bastion", "--scale", "0.002");
  sandbox = JSON.parse(cli("--json", "sandbox", "status", "--dir", DIR, "--show-passwords"));
  assert.ok(sandbox.caFile && sandbox.passwords?.mysql && sandbox.passwords?.redis, "a secure sandbox with its passwords");
  // `up` alone never prints them.
  const plain = cli("sandbox", "status", "--dir", DIR);
  assert.ok(!plain.includes(sandbox.passwords.mysql) && !plain.includes(sandbox.passwords.redis));
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.clickOn("nav button[data-screen=connections]", 20000);
});
after(async () => {
  await s?.end();
  try {
    cli("sandbox", "down", "--dir", DIR, "--purge");
  } catch {
    // Already gone.
  }
});

test("a profile through the bastion with TLS and passwords is entered as production would be", async () => {
  const port = (name) => sandbox.components.find((c) => c.name === name).port;
  await s.clickOn("[data-action=new-profile]");
  await s.fill("input[name=name]", "secure");
  await s.fill("input[name=host]", "127.0.0.1");
  await s.fill("input[name=port]", String(port("primary")));
  await s.fill("input[name=user]", "root");
  await s.fill("input[name=password]", sandbox.passwords.mysql);
  await s.fill("input[name=database]", "mindpal");
  await s.clickOn("select[name=tls] option[value=verify-identity]");
  await s.fill("input[name=caFile]", sandbox.caFile);
  await s.clickOn("[data-action=add-replica]");
  await s.fill("input[name='replicas.0.port']", String(port("replica")));
  await s.clickOn("select[name=redisMode] option[value=sentinel]");
  await s.fill("input[name=redisNodes]", `127.0.0.1:${port("sentinel")}`);
  await s.fill("input[name=redisMaster]", sandbox.sentinelMaster);
  await s.fill("input[name=redisPassword]", sandbox.passwords.redis);
  await s.clickOn("input[name=redisTls]");
  await s.fill("input[name=redisCa]", sandbox.caFile);
  await s.clickOn("input[name=ssh]");
  await s.fill("input[name=sshHost]", `root@127.0.0.1:${sandbox.bastion.port}`);
  await s.clickOn("select[name=sshAuth] option[value=key]");
  await s.fill("input[name=sshKeyFile]", sandbox.bastion.clientKey);
  await shot("50-secure-form");
  await s.clickOn("button[type=submit]");
  await s.waitFor("[data-profile=secure] [data-action=test]", 20000);
  // The passwords went to the keyring, not the store file.
  const store = readFileSync(env("E2E_STORE_FILE"), "utf8");
  assert.ok(!store.includes(sandbox.passwords.mysql) && !store.includes(sandbox.passwords.redis), "no password in the store");
  const saved = JSON.parse(store).profiles.find((p) => p.name === "secure");
  assert.equal(saved.mysql.passwordSaved, true);
  assert.equal(saved.mysql.tls, "verify-identity");
});

test("the host key is trusted once, then every server shows its path and TLS", async () => {
  await s.clickOn("[data-profile=secure] [data-action=test]", 20000);
  const offered = await s.waitUntil(
    () => document.querySelector("[data-profile=secure] .host-key-prompt")?.getAttribute("data-host-key"),
    [],
    20000,
    "the host key prompt",
  );
  assert.equal(offered, sandbox.bastion.hostFingerprint);
  await s.clickOn("[data-profile=secure] [data-action=trust-host-key]");
  const rows = await s.waitUntil(
    () => {
      const rows = [...document.querySelectorAll("[data-profile=secure] table.checks tr[data-server]")];
      return rows.length >= 3 && rows.every((r) => r.classList.contains("good"))
        ? rows.map((r) => ({ server: r.dataset.server, tls: r.querySelector("[data-tls]").textContent, path: r.querySelector("[data-path]").textContent }))
        : null;
    },
    [],
    30000,
    "every server reachable, encrypted, through the bastion",
  );
  for (const row of rows) {
    assert.equal(row.path, `via root@bastion 127.0.0.1:${sandbox.bastion.port}`, row.server);
    assert.ok(/^TLSv1\.[23] /.test(row.tls) || row.tls === "yes", `${row.server}: ${row.tls}`);
  }
  assert.ok(rows.some((r) => r.tls.startsWith("TLSv1.")), "MariaDB names its TLS version and cipher");
  await s.waitUntil(() => document.querySelector("[data-profile=secure] [data-tunnel]")?.getAttribute("data-tunnel") === "open", [], 10000, "the tunnel shown open");
  await shot("51-secure-tested");
});

test("users, a conversation, an EXPLAIN and replication work over it", async () => {
  await s.clickOn("#active-profile option[value=secure]");
  await s.clickOn("nav button[data-screen=users]");
  await s.waitUntil(() => document.querySelectorAll("[role=row] [data-column=id]").length > 0, [], 30000, "users over TLS");
  await shot("52-secure-users");
  await s.clickOn("nav button[data-screen=conversations]");
  const id = await s.waitUntil(
    () => document.querySelector("[aria-label=Conversations] [role=row] [data-column=id]")?.getAttribute("data-value"),
    [],
    20000,
    "conversations over TLS",
  );
  await s.clickOn(`[aria-label=Conversations] [data-column=id][data-value='${id}']`);
  await s.waitFor("[data-testid=thread] [data-message]", 20000);
  await shot("53-secure-conversation");
  await s.clickOn("nav button[data-screen=explain]");
  await s.clickOn("[data-hot=conversations-of-a-day]", 20000);
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations]", 20000);
  await shot("54-secure-explain");
  await s.clickOn("nav button[data-screen=replication]");
  await s.waitFor("[data-testid=replica][data-verdict=healthy]", 30000);
  assert.match(await s.text("[data-testid=redis-replication]"), /master 127\.0\.0\.1:\d+ with 1 replica/);
  await shot("55-secure-replication");
});

test("the log and the saved diagnostics name every server and hold none of the passwords", async () => {
  const logDir = join(process.env.HOME, ".local/share/com.mindpal.admin/logs");
  const logs = readdirSync(logDir)
    .filter((f) => f.startsWith("mindpal-admin.log"))
    .map((f) => readFileSync(join(logDir, f), "utf8"))
    .join("\n");
  assert.match(logs, /mindpal-admin\/[\d.]+ started/);
  assert.match(logs, /connected in \d+ ms/, "the log says what the window connected to");
  await s.clickOn("nav button[data-screen=connections]");
  assert.equal(await s.text("[data-testid=log-folder]", 10000), logDir);
  await s.clickOn("[data-action=save-diagnostics]");
  const saved = (await s.text("[data-testid=diagnostics-path]", 15000)).replace(/^saved to /, "");
  const report = readFileSync(saved, "utf8");
  assert.match(report, /profiles: .*profiles\.json/);
  assert.match(report, /secure \(operator\): mysql 127\.0\.0\.1:\d+ \(verify-identity\)/);
  assert.match(report, /passwords in the keyring: mysql/);
  for (const [name, text] of [
    ["the log", logs],
    ["the diagnostics", report],
  ]) {
    for (const password of [sandbox.passwords.mysql, sandbox.passwords.redis]) {
      assert.ok(!text.includes(password), `${name} holds a password`);
    }
  }
  await shot("56-logs-and-diagnostics");
});
