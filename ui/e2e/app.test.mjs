// The main paths of the desktop console, in the real window against a real sandbox.
// Started by scripts/e2e.sh, which provides the environment below.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end tests with scripts/e2e.sh`);
  return v;
};
const DRIVER = env("E2E_DRIVER_URL");
const APP = env("E2E_APP");
const PORT = Number(env("E2E_SANDBOX_PORT"));
const STORE = env("E2E_STORE_FILE");
const USERS = Number(env("E2E_EXPECTED_USERS"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });

let s;
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

before(async () => {
  s = await Session.start(DRIVER, APP);
});
after(async () => {
  await s?.end();
});

async function newProfile({ name, port, password, redis }) {
  await s.click(await s.waitFor("[data-action=new-profile]"));
  await s.fill("input[name=name]", name);
  await s.fill("input[name=port]", String(port));
  await s.fill("input[name=user]", "root");
  if (password) await s.fill("input[name=password]", password);
  await s.fill("input[name=database]", "mindpal");
  await s.click(await s.waitFor("select[name=tls] option[value=disabled]"));
  if (redis) {
    await s.click(await s.waitFor("select[name=redisMode] option[value=standalone]"));
    await s.fill("input[name=redisNodes]", redis);
  }
}

test("the empty console says how to start", async () => {
  await s.waitFor(".empty");
  const text = await s.text(".empty");
  assert.match(text, /No connection profiles yet/);
  await shot("01-empty");
});

test("bad fields are refused with field-level messages", async () => {
  await newProfile({ name: " ", port: 70000 });
  await s.click(await s.waitFor("button[type=submit]"));
  assert.match(await s.text("[data-field=name] .field-error"), /name/i);
  assert.match(await s.text("[data-field='mysql.port'] .field-error"), /1 and 65535/);
  await shot("02-field-errors");
  await s.click(await s.waitFor(".form-actions button[type=button]"));
});

test("a profile for the sandbox tests green and its overview shows the real row counts", async () => {
  await newProfile({ name: "local", port: PORT, redis: `127.0.0.1:${PORT + 2}` });
  await shot("03-profile-form");
  await s.click(await s.waitFor("button[type=submit]"));
  await s.click(await s.waitFor("li[data-profile=local] [data-action=test]"));
  for (const server of ["primary", "redis"]) {
    assert.equal(await s.text(`li[data-profile=local] tr[data-server=${server}] .ok`), "reachable");
  }
  assert.match(await s.text("li[data-profile=local] tr[data-server=primary]"), /MariaDB 10\.\d+/);
  await shot("04-connection-test");

  await s.click(await s.waitFor("nav button:first-child"));
  const users = await s.waitUntil(
    () => {
      const row = [...document.querySelectorAll("[role=row]")].find(
        (r) => r.querySelector("[data-column=table]")?.textContent === "users",
      );
      return row?.querySelector("[data-column=rows]")?.textContent;
    },
    [],
    20000,
    "the users row count",
  );
  assert.equal(Number(users.replace(/,/g, "")), USERS, "the overview counts the sandbox's users");
  assert.match(await s.text("[data-testid=schema-state]"), /Up to date/);
  assert.match(await s.text("[data-testid=db-version]"), /MariaDB/);
  await shot("05-overview");
});

test("losing the database is shown and recovered from without restarting the window", async () => {
  const cli = (...args) =>
    execFileSync(env("E2E_CLI"), ["--profiles-file", env("E2E_SPARE_STORE"), "sandbox", ...args, "--dir", env("E2E_SANDBOX_DIR")]);
  const usersShown = () =>
    [...document.querySelectorAll("[data-column=table]")].some((c) => c.textContent === "users");
  await s.waitUntil(usersShown, [], 20000, "the overview");
  cli("down");
  const banner = await s.text(".banner", 40000);
  assert.match(banner, /Connection lost/);
  await shot("06-connection-lost");
  cli("up", "--no-seed");
  await s.waitUntil(() => !document.querySelector(".banner") && [...document.querySelectorAll("[data-column=table]")].some((c) => c.textContent === "users"), [], 40000, "the overview to come back");
  await shot("07-connection-back");
});

test("a wrong password shows the auth error and never reaches the store file", async () => {
  const secret = "Wr0ng-E2E-Secret";
  await s.click(await s.waitFor("nav button:nth-child(2)"));
  await newProfile({ name: "badpass", port: PORT, password: secret });
  await s.click(await s.waitFor("button[type=submit]"));
  await s.click(await s.waitFor("li[data-profile=badpass] [data-action=test]"));
  const err = await s.waitFor("li[data-profile=badpass] tr[data-server=primary] .error[data-kind=authFailed]");
  assert.ok(err);
  await shot("08-auth-failed");
  const store = readFileSync(STORE, "utf8");
  assert.ok(store.includes("badpass"), "the profile is in the store");
  assert.ok(!store.includes(secret), "the password must not be in the store file");
  const saved = JSON.parse(store).profiles.find((p) => p.name === "badpass");
  assert.equal(saved.mysql.passwordSaved, true, "the password went to the keyring");
});

test("deleting a profile asks first", async () => {
  await s.click(await s.waitFor("li[data-profile=badpass] [data-action=delete]"));
  await s.click(await s.waitFor("li[data-profile=badpass] [data-action=confirm-delete]"));
  await s.waitUntil(() => !document.querySelector("li[data-profile=badpass]"), [], 10000, "the profile to go");
  const store = JSON.parse(readFileSync(STORE, "utf8"));
  assert.deepEqual(
    store.profiles.map((p) => p.name),
    ["local"],
  );
  await shot("09-after-delete");
});
