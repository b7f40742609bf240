// A Redis Cluster in the real window: the sandbox's six nodes (three masters, three replicas).
// The Cache screen walks every master with one cursor and opens keys on the master of their
// slot; the Replication screen lists every node with its slots and shows a killed master's
// failover.
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
mkdirSync(SHOTS, { recursive: true });

let s;
let seeds;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
const clusterNodes = (port) =>
  execFileSync("redis-cli", ["-p", String(port), "CLUSTER", "NODES"])
    .toString()
    .trim()
    .split("\n")
    .map((line) => line.split(" "));

before(async () => {
  // The e2e sandbox gains its cluster; `up` registers a profile for it in a store of its own.
  const store = join(SANDBOX, "..", "cluster-profiles.json");
  execFileSync(CLI, ["--profiles-file", store, "sandbox", "up", "--dir", SANDBOX, "--redis-cluster", "--scale", "0.001"], { stdio: "pipe" });
  const registered = JSON.parse(readFileSync(store, "utf8")).profiles.find((p) => p.name === "sandbox");
  assert.equal(registered.redis.mode, "cluster");
  seeds = registered.redis.nodes.map((n) => n.port);
  // Direct, whether or not another test put a bastion in front of the sandbox.
  const cluster = { ...registered, name: "cluster", ssh: null };
  let windowStore = { profiles: [] };
  try {
    windowStore = JSON.parse(readFileSync(STORE, "utf8"));
  } catch {
    // No store yet: this file runs alone.
  }
  windowStore.profiles = windowStore.profiles.filter((p) => p.name !== "cluster").concat([cluster]);
  mkdirSync(dirname(STORE), { recursive: true });
  writeFileSync(STORE, JSON.stringify(windowStore));
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.waitFor("#active-profile option[value=cluster]", 20000);
  await s.clickOn("#active-profile option[value=cluster]");
});
after(async () => {
  await s?.end();
});

test("the cache browser walks every master with one cursor and opens keys on their master", async () => {
  await s.clickOn("nav button[data-screen=cache]");
  await s.clickOn("[data-field=page-size] option[value='50']", 20000);
  await s.clickOn("[data-action=scan]");
  await s.waitFor("[data-testid=key-list] [role=row][data-key]", 20000);
  const masters = await s.waitUntil(
    () => {
      const rows = [...document.querySelectorAll("[data-testid=cluster-masters] tr[data-node]")];
      return rows.length === 3 ? rows.map((r) => r.dataset.node) : null;
    },
    [],
    10000,
    "the three masters",
  );
  const live = clusterNodes(seeds[0]).filter((f) => f[2].includes("master")).map((f) => f[1].split("@")[0]);
  assert.deepEqual([...masters].sort(), [...live].sort());
  await shot("60-cluster-cache");
  // Page on until the walk is complete: every key once, from all three masters.
  for (let i = 0; i < 60; i++) {
    const more = await s.waitUntil(() => String(document.querySelectorAll("[data-action=more-keys]").length), [], 5000);
    if (more === "0") break;
    const listed = () => Number(document.querySelector("[data-testid=key-list] [role=grid]")?.getAttribute("aria-rowcount"));
    const before = await s.waitUntil(listed, [], 5000);
    await s.clickOn("[data-action=more-keys]");
    await s.waitUntil(
      (n) => Number(document.querySelector("[data-testid=key-list] [role=grid]")?.getAttribute("aria-rowcount")) > n || document.querySelectorAll("[data-action=more-keys]").length === 0,
      [before],
      15000,
      "the next page",
    );
  }
  // The grid draws the rows in view: walk it from top to bottom for every key and its node.
  const rows = await s.gridRows("[data-testid=key-list]", "key");
  // The screen's default pattern is user:*; count those keys on every master.
  const total = seeds.reduce((sum, port) => {
    const flags = clusterNodes(port).find((f) => f[2].includes("myself"))[2];
    if (!flags.includes("master")) return sum;
    return sum + execFileSync("redis-cli", ["-p", String(port), "--scan", "--pattern", "user:*"]).toString().trim().split("\n").filter(Boolean).length;
  }, 0);
  assert.equal(new Set(rows.map(([k]) => k)).size, total, `every key of every master, once: ${await s.text("[data-testid=scan-summary]")}`);
  assert.equal(new Set(rows.map(([, node]) => node)).size, 3);

  // A key opens on the master whose slots hold it.
  const [key] = rows[rows.length - 1];
  const slot = Number(execFileSync("redis-cli", ["-p", String(seeds[0]), "CLUSTER", "KEYSLOT", key]).toString());
  const owner = clusterNodes(seeds[0]).find((f) => f[2].includes("master") && f.slice(8).some((r) => {
    const [a, b = a] = r.split("-").map(Number);
    return slot >= a && slot <= b;
  }))[1].split("@")[0];
  await s.clickOn(`[data-testid=key-list] [role=row][data-key="${key}"] button`);
  await s.waitFor("[data-testid=key-view]", 15000);
  assert.match(await s.text("[data-testid=key-view]"), new RegExp(owner.replace(/\./g, "\\.")));
  await shot("61-cluster-key");
});

test("replication lists every node with its slots, and a killed master's failover shows", async () => {
  await s.clickOn("nav button[data-screen=replication]");
  const rows = await s.waitUntil(() => document.querySelectorAll("[data-testid=cluster-nodes] [role=row][data-node]").length, [], 20000, "the cluster's nodes");
  assert.equal(rows, 6);
  assert.equal(await s.waitUntil(() => document.querySelectorAll("[data-testid=topology] [data-redis-cluster] ~ .topo-children .topo-node").length, [], 5000, "the masters in the topology"), 3);
  assert.match(await s.text("[data-testid=redis-reason]"), /3 masters with 3 replicas; all 16384 slots ok/);
  await shot("62-cluster-replication");

  // The master of slot 0 is killed; the cluster marks it failed and its replica takes over.
  const victim = clusterNodes(seeds[0]).find((f) => f[2].includes("master") && f.slice(8).some((r) => r.startsWith("0-")));
  const address = victim[1].split("@")[0];
  const status = JSON.parse(execFileSync(CLI, ["--json", "sandbox", "status", "--dir", SANDBOX]).toString());
  const pid = status.cluster.nodes.find((n) => `127.0.0.1:${n.port}` === address).pid;
  process.kill(pid, "SIGKILL");
  await s.waitFor(`[data-testid=cluster-nodes] [role=row][data-node="${address}"][data-state=failed]`, 30000);
  const heir = await s.waitUntil(
    () => {
      const row = [...document.querySelectorAll("[data-testid=cluster-nodes] [role=row][data-role=master][data-state=ok]")].find((r) => r.children[3].textContent.startsWith("0-5460"));
      return row ? row.dataset.node : null;
    },
    [],
    20000,
    "a replica serving slot 0",
  );
  assert.notEqual(heir, address);
  assert.match(await s.text("[data-testid=redis-reason]"), /failed, a master that no longer serves slots: a replica took over/);
  await shot("63-cluster-failover");
});
