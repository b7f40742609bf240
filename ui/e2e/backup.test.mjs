// Backup in the real window against the sandbox primary: start one, watch its progress bar,
// see it in the catalog, verify its checksums, restore it into a new database and see every
// table equal; the CLI reads the same folder.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const primarySql = (query) => execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query]).toString().trim();
const cli = (...args) => spawnSync(env("E2E_CLI"), args, { encoding: "utf8" });

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

before(async () => {
  storeSandboxProfile();
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  await s.clickOn("#active-profile option[value=sandbox]", 20000);
});
after(async () => {
  await s?.end();
});

test("a backup started from the window shows its progress, lands in the catalog, verifies and restores", async () => {
  const before = Number(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.run'"));
  await s.clickOn("nav button[data-screen=backup]");
  await s.waitFor("[data-testid=redis-persistence] [data-testid=redis-last-save]", 20000);
  const folder = await s.waitUntil(() => document.querySelector("[data-testid=backup-folder]")?.value || null, [], 10000, "the backup folder");
  await s.clickOn("[data-action=start-backup]");
  // The bar runs, then stays with the finished job's figures.
  await s.waitFor("[data-testid=backup-progress]", 10000);
  await s.waitFor("[data-testid=backup-progress][data-state=done]", 60000);
  const figures = await s.text("[data-testid=backup-progress]");
  const m = figures.match(/(\d+)\/(\d+) tables/);
  assert.ok(m && m[1] === m[2] && Number(m[1]) >= 10, `every table done: ${figures}`);
  assert.match(figures, /rows\/s/);

  assert.match(await s.text("[data-testid=backup-catalog] [role=row][data-backup]", 20000), /complete/);
  await s.waitFor("[data-testid=backup-detail]");
  assert.match(await s.text("[data-testid=backup-made-by]"), /Made by \S+ on \S+ with mindpal-admin\/\d/);
  assert.match(await s.text("[data-testid=pitr-command]"), /mysqlbinlog .*--start-position=\d+/);
  await s.clickOn("[data-action=verify-backup]");
  await s.waitFor("[data-testid=verify-report][data-ok=true]", 20000);
  await shot("40-backup-verified");
  assert.equal(Number(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.run'")), before + 1, "the backup is in operation_logs");

  // Over the live database: a warning, and the button waits for its name typed again.
  await s.fill("[data-testid=restore-into]", "mindpal");
  await s.waitFor("[data-testid=restore-live-warning]");
  const disabled = () => s.waitUntil(() => String(document.querySelector("[data-action=restore-backup]")?.disabled), [], 5000, "the button");
  assert.equal(await disabled(), "true", "no restore over the live database without its name typed");
  await s.fill("[data-testid=restore-live-confirm]", "mindpa");
  assert.equal(await disabled(), "true");
  await s.fill("[data-testid=restore-live-confirm]", "mindpal");
  await s.waitUntil(() => document.querySelector("[data-action=restore-backup]")?.disabled === false, [], 5000, "the button to wake");
  await shot("40b-backup-restore-over-live");

  // Restored from the window into a new database, every table equal to the backup.
  await s.fill("[data-testid=restore-into]", "mindpal_restored");
  await s.clickOn("[data-action=restore-backup]");
  await s.waitFor("[data-testid=restore-report][data-ok=true]", 60000);
  const usersRow = await s.waitUntil(
    () => [...document.querySelectorAll("[data-testid=restore-report] [role=row][data-table=users] [role=gridcell]")].map((c) => c.textContent).join(" | ") || null,
    [],
    10000,
    "the restored users row",
  );
  assert.match(usersRow, /^users \| 1,000 \/ 1,000 \| \d+ \/ \d+ \| equal$/);
  assert.match(await s.text("[data-testid=pitr-command]"), /--rewrite-db='mindpal->mindpal_restored'/);
  assert.equal(primarySql("SELECT COUNT(*) FROM mindpal_restored.users"), primarySql("SELECT COUNT(*) FROM users"));
  assert.equal(Number(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.restore'")), 1, "the restore is in operation_logs");
  await shot("41-backup-restored");

  // The CLI sees the same catalog and verifies the same backup.
  const list = JSON.parse(cli("--json", "backup", "list", folder).stdout);
  assert.equal(list.length, 1);
  assert.equal(list[0].state, "complete");
  assert.equal(cli("backup", "verify", list[0].path).status, 0);

  // Point in time: a setting written before a moment and one after it; the window restores
  // the backup into a new database as of that moment.
  primarySql("INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, 'pitr.before', 'kept')");
  const lastSecond = primarySql("SELECT UTC_TIMESTAMP()");
  let moment = lastSecond;
  while (moment === lastSecond) {
    await new Promise((r) => setTimeout(r, 100));
    moment = primarySql("SELECT UTC_TIMESTAMP()");
  }
  await new Promise((r) => setTimeout(r, 1100));
  primarySql("INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, 'pitr.after', 'not kept')");
  await s.waitFor("[data-testid=pitr-window]", 20000);
  assert.match(await s.text("[data-testid=pitr-window]"), /Restorable from .* to now.*mysql-bin\.\d+/);
  const local = new Date(`${moment.replace(" ", "T")}Z`);
  const pad = (n) => String(n).padStart(2, "0");
  const picked = `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())}T${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}`;
  // The picker is a native datetime-local input: its value is set as a user's choice would.
  await s.waitUntil(
    (value) => {
      const el = document.querySelector("[data-testid=pitr-moment]");
      Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), "value").set.call(el, value);
      el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
      return true;
    },
    [picked],
    5000,
    "the moment to be picked",
  );
  await s.fill("[data-testid=pitr-into]", "mindpal_pitr");
  await s.waitUntil(() => document.querySelector("[data-action=pitr-restore]")?.disabled === false, [], 5000, "the point-in-time button");
  await s.clickOn("[data-action=pitr-restore]");
  await s.waitFor("[data-testid=pitr-report][data-ok=true]", 60000);
  assert.match(await s.text("[data-testid=pitr-gtid]"), /^\d+-\d+-\d+$/);
  await s.waitUntil(() => (document.querySelector("[data-testid=pitr-report]").scrollIntoView({ block: "center" }), true), [], 5000, "the report in view");
  await shot("43-backup-point-in-time");
  assert.equal(primarySql("SELECT GROUP_CONCAT(setting_key ORDER BY setting_key) FROM mindpal_pitr.system_settings WHERE setting_key LIKE 'pitr.%'"), "pitr.before");
  assert.equal(Number(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.pitr'")), 1, "the point-in-time restore is in operation_logs");

  // A copy edited to drop the live database, its manifest hash made consistent again: the
  // window says why it is refused, and nothing is created or dropped.
  const hostile = `${list[0].path}-edited`;
  cpSync(list[0].path, hostile, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(hostile, "manifest.json"), "utf8"));
  const users = manifest.tables.find((t) => t.name === "users");
  users.createSql = `${users.createSql}; DROP DATABASE mindpal`;
  const body = JSON.stringify(manifest, null, 2);
  writeFileSync(join(hostile, "manifest.json"), body);
  writeFileSync(join(hostile, "manifest.sha256"), `${createHash("sha256").update(body).digest("hex")}  manifest.json\n`);
  await s.clickOn("[data-action=refresh-backups]");
  const edited = hostile.split("/").pop();
  await s.clickOn(`[data-testid=backup-catalog] [role=row][data-backup="${edited}"] [data-action=open-backup]`, 20000);
  await s.fill("[data-testid=restore-into]", "mindpal_hostile");
  await s.clickOn("[data-action=restore-backup]");
  await s.waitFor("[data-testid=restore-error]", 30000);
  const refusal = await s.text("[data-testid=restore-error]");
  assert.match(refusal, /refused.*manifest\.json, table `users`: a second statement.*nothing was restored/s);
  await shot("42-backup-hostile-refused");
  assert.equal(primarySql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('mindpal', 'mindpal_hostile')"), "1");
  assert.equal(Number(primarySql("SELECT COUNT(*) FROM operation_logs WHERE action = 'backup.restore_refused'")), 1, "the refusal is in operation_logs");
});
