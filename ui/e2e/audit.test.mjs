// The audit trail in the real window: a user disabled (by the CLI, as a cron job or a
// colleague's terminal would) is found in the trail by action and id, opens with its
// before/after side by side, and links to the user it names.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const sql = (query) => execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query]).toString().trim();
const cli = (...args) => spawnSync(env("E2E_CLI"), ["--profiles-file", env("E2E_SPARE_STORE"), "--profile", "sandbox", ...args], { encoding: "utf8" });

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());
const [userId, version] = sql("SELECT id, version FROM users WHERE status = 1 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1").split("\t");

before(async () => {
  storeSandboxProfile();
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.clickOn("#active-profile option[value=sandbox]", 20000);
});
after(async () => {
  await s?.end();
  cli("users", "enable", userId, "--expect-version", String(Number(version) + 1));
});

test("a disabled user is found in the audit trail with its before and after", async () => {
  const disabled = cli("users", "disable", userId, "--expect-version", version);
  assert.equal(disabled.status, 0, disabled.stderr);
  const auditId = sql(`SELECT MAX(id) FROM operation_logs WHERE action = 'user.disable' AND resource_id = ${userId}`);

  await s.clickOn("nav button[data-screen=audit]");
  await s.fill("input[aria-label=Action]", "user.dis");
  await s.fill("input[aria-label='Resource id']", userId);
  // Found by its filters: the list holds this one change.
  await s.waitUntil(
    () => /^1 change\b/.test(document.querySelector("[data-testid=changes-status] strong")?.textContent ?? ""),
    [],
    10000,
    "the filtered trail",
  );
  await s.clickOn(`[aria-label='Audit trail'] [role=row] [data-column=id][data-value='${auditId}']`, 20000);
  await s.waitFor("[data-testid=audit-detail] [data-testid=audit-diff]", 10000);
  const status = await s.waitUntil(
    () => [...document.querySelectorAll("[data-testid=audit-diff] tr[data-field=status] td")].map((td) => td.textContent),
    [],
    5000,
    "the status row",
  );
  assert.deepEqual(status, ["status", "1", "2"]);
  const changed = await s.waitUntil(
    () => [...document.querySelectorAll("[data-testid=audit-diff] tr[data-changed=true]")].map((tr) => tr.dataset.field),
    [],
    5000,
    "the changed fields",
  );
  assert.deepEqual(changed, ["status", "version"]);
  const who = await s.text("[data-testid=audit-detail]");
  assert.match(who, /user\.disable/);
  assert.match(who, /from 127\.0\.0\.1/);
  await shot("61-audit-diff");

  // Export writes every match to a file: the header and this one change.
  await s.clickOn("[data-action=audit-export-csv]");
  const path = (await s.text("[data-testid=audit-export-path]", 15000)).replace(/^exported to /, "");
  const lines = readFileSync(path, "utf8").trim().split("\n");
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0], /^id,created_at,operator,action,/);
  assert.match(lines[1], new RegExp(`^${auditId},.*,user\\.disable,user,${userId},127\\.0\\.0\\.1,`));

  // The row names the user: its link opens them.
  await s.clickOn("[data-action=audit-open-resource]");
  await s.waitUntil(() => document.querySelector("nav button[data-screen=users]")?.getAttribute("aria-current") === "page", [], 10000, "the Users screen");
});
