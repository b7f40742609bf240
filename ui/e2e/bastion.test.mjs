// A profile through the sandbox's SSH bastion in the real window: the unknown host key is
// shown and trusted once, Test connection shows every server's path through the bastion,
// users, a conversation, an EXPLAIN and replication are read through it, and a changed host key is refused with both fingerprints.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env } from "./sandbox.mjs";

const SHOTS = env("E2E_ARTIFACTS");
const CLI = env("E2E_CLI");
const SANDBOX = env("E2E_SANDBOX_DIR");
const STORE = env("E2E_STORE_FILE");
// The console's own known-hosts file, beside the window's profile store.
const KNOWN_HOSTS = join(dirname(STORE), "known_hosts");
mkdirSync(SHOTS, { recursive: true });

let s;
let bastion;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

before(async () => {
  // The e2e sandbox gains its bastion; `up` registers the profile through it in a store of its own.
  const store = join(SANDBOX, "..", "bastion-profiles.json");
  execFileSync(CLI, ["--profiles-file", store, "sandbox", "up", "--dir", SANDBOX, "--bastion", "--no-seed"], { stdio: "pipe" });
  bastion = JSON.parse(execFileSync(CLI, ["--json", "sandbox", "status", "--dir", SANDBOX]).toString()).bastion;
  const through = JSON.parse(readFileSync(store, "utf8")).profiles.find((p) => p.name === "sandbox");
  assert.ok(through.ssh, "the sandbox profile goes through the bastion");
  let windowStore = { profiles: [] };
  try {
    windowStore = JSON.parse(readFileSync(STORE, "utf8"));
  } catch {
    // No store yet: this file runs alone.
  }
  const names = ["bastion", "bastion-again"];
  windowStore.profiles = windowStore.profiles.filter((p) => !names.includes(p.name)).concat(names.map((name) => ({ ...through, name })));
  mkdirSync(dirname(STORE), { recursive: true });
  writeFileSync(STORE, JSON.stringify(windowStore));
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  // Once the profiles are listed (the first screen is chosen then), open Connections.
  await s.waitFor("#active-profile option[value=bastion]", 20000);
  await s.clickOn("nav button[data-screen=connections]");
  await s.waitFor("[data-profile=bastion] [data-action=test]");
});
after(async () => {
  await s?.end();
});

test("the bastion's unknown host key is trusted once, then every server shows its path through it", async () => {
  await s.clickOn("[data-profile=bastion] [data-action=test]", 20000);
  const offered = await s.waitUntil(
    () => document.querySelector("[data-profile=bastion] .host-key-prompt")?.getAttribute("data-host-key"),
    [],
    20000,
    "the host key prompt",
  );
  assert.equal(offered, bastion.hostFingerprint, "the window shows the key the bastion really has");
  await shot("40-bastion-host-key");
  await s.clickOn("[data-profile=bastion] [data-action=trust-host-key]");
  const paths = await s.waitUntil(
    () => {
      const rows = [...document.querySelectorAll("[data-profile=bastion] table.checks tr[data-server]")];
      return rows.length >= 3 && rows.every((r) => r.classList.contains("good")) ? rows.map((r) => r.querySelector("[data-path]").textContent) : null;
    },
    [],
    20000,
    "every server reachable through the bastion",
  );
  for (const path of paths) assert.equal(path, `via root@bastion 127.0.0.1:${bastion.port}`);
  assert.match(readFileSync(KNOWN_HOSTS, "utf8"), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${bastion.port} ssh-ed25519 `, "m"));
  await s.waitUntil(() => document.querySelector("[data-profile=bastion] [data-tunnel]")?.getAttribute("data-tunnel") === "open", [], 10000, "the tunnel shown open");
  await shot("41-bastion-tested");
});

test("users are read through the bastion", async () => {
  await s.clickOn("#active-profile option[value=bastion]");
  await s.clickOn("nav button[data-screen=users]");
  await s.waitUntil(() => document.querySelectorAll("[role=row] [data-column=id]").length > 0, [], 20000, "users through the bastion");
  await shot("42-bastion-users");
});

test("a conversation, an EXPLAIN and replication work through the bastion", async () => {
  await s.clickOn("nav button[data-screen=conversations]");
  const id = await s.waitUntil(
    () => document.querySelector("[aria-label=Conversations] [role=row] [data-column=id]")?.getAttribute("data-value"),
    [],
    20000,
    "conversations through the bastion",
  );
  await s.clickOn(`[aria-label=Conversations] [data-column=id][data-value='${id}']`);
  await s.waitFor("[data-testid=thread] [data-message]", 20000);
  await shot("45-bastion-conversation");
  await s.clickOn("nav button[data-screen=explain]");
  await s.clickOn("[data-hot=conversations-of-a-day]", 20000);
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations]", 20000);
  await shot("46-bastion-explain");
  await s.clickOn("nav button[data-screen=replication]");
  await s.waitFor("[data-testid=replica][data-verdict=healthy]", 20000);
  assert.match(await s.text("[data-testid=redis-replication]"), /master 127\.0\.0\.1:\d+ with 1 replica/);
  await shot("47-bastion-replication");
});

test("a changed host key is refused with both fingerprints", async () => {
  // The recorded key is replaced by another one: to the console, the bastion's key changed.
  const other = join(SANDBOX, "..", "other_host_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
  const otherKey = readFileSync(`${other}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  const otherFingerprint = execFileSync("ssh-keygen", ["-lf", `${other}.pub`]).toString().split(" ")[1];
  writeFileSync(KNOWN_HOSTS, `[127.0.0.1]:${bastion.port} ${otherKey}\n`);
  await s.clickOn("nav button[data-screen=connections]");
  await s.clickOn("[data-profile=bastion-again] [data-action=test]", 20000);
  const message = await s.waitUntil(
    () => document.querySelector("[data-profile=bastion-again] [data-kind=hostKeyChanged]")?.textContent,
    [],
    20000,
    "the refusal",
  );
  assert.ok(message.includes(bastion.hostFingerprint) && message.includes(otherFingerprint), message);
  assert.equal(await s.waitUntil(() => String(document.querySelectorAll("[data-profile=bastion-again] [data-action=trust-host-key]").length)), "0", "a changed key is never offered");
  await shot("43-bastion-key-changed");
});

test("the profile form shows the bastion and how it logs in", async () => {
  await s.clickOn("[data-profile=bastion] [data-action=edit]");
  const host = await s.waitUntil(() => document.querySelector("input[name=sshHost]")?.value, [], 10000, "the bastion field");
  assert.equal(host, `root@127.0.0.1:${bastion.port}`);
  assert.equal(await s.waitUntil(() => document.querySelector("select[name=sshAuth]")?.value), "key");
  await s.cmd("POST", "/execute/sync", { script: "document.querySelector('input[name=sshHost]').scrollIntoView({ block: 'center' }); return true", args: [] });
  await new Promise((r) => setTimeout(r, 300));
  await shot("44-bastion-form");
});
