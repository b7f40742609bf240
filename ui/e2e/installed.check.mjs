// The installed package's app (E2E_APP=/usr/bin/mindpal-admin-app), launched under Xvfb
// against the sandbox: it opens on the sandbox's overview with the real row counts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env } from "./sandbox.mjs";

let s;
before(async () => {
  assert.equal(env("E2E_APP"), "/usr/bin/mindpal-admin-app", "the installed app, not the build");
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
});
after(async () => {
  await s?.end();
});

test("the installed app opens on the sandbox's overview with its real figures", async () => {
  await s.waitFor(".overview[data-profile=sandbox]", 30000);
  const users = await s.waitUntil(
    () => [...document.querySelectorAll("[role=row]")].find((r) => r.textContent.includes("users"))?.textContent,
    [],
    20000,
    "the users table's row count",
  );
  assert.ok(users.includes(Number(env("E2E_EXPECTED_USERS")).toLocaleString("en-US")), users);
  const shots = env("E2E_ARTIFACTS");
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, "installed-overview.png"), await s.screenshot());
});
