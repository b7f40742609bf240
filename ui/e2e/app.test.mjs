// The main paths of the desktop console, in the real window against a real sandbox.
// Started by scripts/e2e.sh, which provides the environment below.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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
  await s.clickOn("[data-action=new-profile]");
  await s.fill("input[name=name]", name);
  await s.fill("input[name=port]", String(port));
  await s.fill("input[name=user]", "root");
  if (password) await s.fill("input[name=password]", password);
  await s.fill("input[name=database]", "mindpal");
  await s.clickOn("select[name=tls] option[value=disabled]");
  if (redis) {
    await s.clickOn("select[name=redisMode] option[value=standalone]");
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
  await s.clickOn("button[type=submit]");
  assert.match(await s.text("[data-field=name] .field-error"), /name/i);
  assert.match(await s.text("[data-field='mysql.port'] .field-error"), /1 and 65535/);
  await shot("02-field-errors");
  await s.clickOn(".form-actions button[type=button]");
});

test("a profile for the sandbox tests green and its overview shows the real row counts", async () => {
  await newProfile({ name: "local", port: PORT, redis: `127.0.0.1:${PORT + 2}` });
  await shot("03-profile-form");
  await s.clickOn("button[type=submit]");
  await s.clickOn("li[data-profile=local] [data-action=test]");
  for (const server of ["primary", "redis"]) {
    assert.equal(await s.text(`li[data-profile=local] tr[data-server=${server}] .ok`), "reachable");
  }
  assert.match(await s.text("li[data-profile=local] tr[data-server=primary]"), /MariaDB 10\.\d+/);
  await shot("04-connection-test");

  await s.clickOn("nav button[data-screen=overview]");
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
  await s.clickOn("nav button[data-screen=connections]");
  await newProfile({ name: "badpass", port: PORT, password: secret });
  await s.clickOn("button[type=submit]");
  await s.clickOn("li[data-profile=badpass] [data-action=test]");
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
  await s.clickOn("li[data-profile=badpass] [data-action=delete]");
  await s.clickOn("li[data-profile=badpass] [data-action=confirm-delete]");
  await s.waitUntil(() => !document.querySelector("li[data-profile=badpass]"), [], 10000, "the profile to go");
  const store = JSON.parse(readFileSync(STORE, "utf8"));
  assert.deepEqual(
    store.profiles.map((p) => p.name),
    ["local"],
  );
  await shot("09-after-delete");
});

// Users and digital humans, against the same sandbox and the profile `local` made above.
const sql = (query) =>
  execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query])
    .toString()
    .trim();
const redis = (...args) => execFileSync("redis-cli", ["-p", String(PORT + 2), ...args]).toString().trim();
const [userId, phone, dhCount] = sql(
  "SELECT u.id, u.phone, COUNT(d.id) FROM users u JOIN digital_humans d ON d.user_id = u.id " +
    "WHERE u.deleted_at IS NULL AND u.status = 1 AND u.email IS NOT NULL GROUP BY u.id ORDER BY u.id LIMIT 1",
).split("\t");

async function openUserByPhonePrefix() {
  await s.clickOn("nav button[data-screen=users]");
  await s.fill("input[name=user-search]", phone.slice(0, -1));
  await s.clickOn(`[role=row] [data-column=id][data-value='${userId}']`, 20000);
  await s.waitUntil(
    (id) => {
      const d = document.querySelector("[data-testid=user-detail]");
      return d?.getAttribute("aria-label") === `User ${id}` && !!d.querySelector("[data-testid=user-facts]");
    },
    [userId],
    20000,
    "the user's detail",
  );
}

test("a user found by phone prefix opens with their digital humans and Redis entries", async () => {
  redis("SET", `user:${userId}`, JSON.stringify({ id: userId, phone, nickname: "stale nickname", status: 1 }), "EX", "3600");
  await openUserByPhonePrefix();
  assert.equal(await s.text("[data-testid=user-facts] [data-field=phone]"), phone);
  const rows = await s.waitUntil(() => document.querySelectorAll("[data-testid=user-digital-humans] [role=row][data-dh]").length, [], 10000, "digital humans");
  assert.equal(rows, Number(dhCount), "every digital human of the user is listed");
  const cached = await s.text(`[data-testid='redis-user:${userId}']`);
  assert.match(cached, /TTL \d+ (s|min|h)/);
  assert.match(cached, /stale: 1 field/, "the nickname that differs from the row is found");
  await shot("10-user-detail");
});

test("an operator disables and re-enables a user, confirmed, and both land in operation_logs", async () => {
  await s.clickOn("[data-action=disable-user]");
  await s.waitFor("[role=alertdialog]");
  await shot("11-confirm-disable");
  await s.clickOn("[data-action=confirm]");
  await s.waitFor("[data-action=enable-user]", 15000);
  assert.equal(sql(`SELECT status FROM users WHERE id = ${userId}`), "2");
  assert.equal(redis("EXISTS", `user:${userId}`), "0", "the cache entry is deleted after the write");
  await s.clickOn("[data-action=enable-user]");
  await s.clickOn("[data-action=confirm]");
  await s.waitFor("[data-action=disable-user]", 15000);
  assert.equal(sql(`SELECT status FROM users WHERE id = ${userId}`), "1");
  const logged = sql(
    `SELECT action FROM operation_logs WHERE resource_type = 'user' AND resource_id = ${userId} AND user_agent LIKE 'mindpal-admin/%' ORDER BY id`,
  );
  assert.deepEqual(logged.split("\n"), ["user.disable", "user.enable"]);
  await shot("12-after-enable");
});

test("a support profile sees phone, email and IP masked and no actions", async () => {
  await s.clickOn("nav button[data-screen=connections]");
  await newProfile({ name: "helpdesk", port: PORT, redis: `127.0.0.1:${PORT + 2}` });
  await s.clickOn("select[name=role] option[value=support]");
  // The toasts of the last test sit over the form's corner until they fade.
  await s.waitUntil(() => !document.querySelector(".toast"), [], 10000, "the toasts to fade");
  await s.clickOn("button[type=submit]");
  await s.waitFor("li[data-profile=helpdesk]");
  // Its account is root: the connection test warns that the grants allow far more than support needs.
  await s.clickOn("li[data-profile=helpdesk] [data-action=test]");
  assert.match(await s.text("[data-server=primary] [data-excess-grant]", 15000), /ALL PRIVILEGES.*more than this profile needs/);
  await shot("13a-support-grants-warning");
  await s.clickOn("#active-profile option[value=helpdesk]");
  await openUserByPhonePrefix();
  const shown = await s.text("[data-testid=user-facts] [data-field=phone]");
  assert.equal(shown, `${phone.slice(0, 3)}****${phone.slice(-4)}`);
  assert.match(await s.text("[data-testid=user-facts] [data-field=email]"), /^.\*\*\*@/);
  const page = await s.waitUntil(() => document.body.innerText, [], 5000, "the page text");
  assert.ok(!page.includes(phone), "the full phone appears nowhere in the window");
  assert.equal(
    await s.waitUntil(() => String(document.querySelectorAll("[data-action=disable-user], [data-action=delete-user]").length), [], 5000, "the buttons"),
    "0",
  );
  await shot("13-support-masked");
});

test("a support profile can neither reset, restore, kill nor read raw PII from the cache", async () => {
  // The window offers none of it: no Monitor or Cache screen, no backup or restore.
  assert.equal(await s.waitUntil(() => String(document.querySelectorAll("nav button[data-screen=cache], nav button[data-screen=monitor]").length), [], 5000, "the nav"), "0");
  await s.clickOn("nav button[data-screen=backup]");
  await s.waitUntil(() => document.body.innerText.includes("need an operator profile"), [], 10000, "the operator note");
  assert.equal(await s.waitUntil(() => String(document.querySelectorAll("[data-action=start-backup], [data-testid=restore-into]").length), [], 5000, "the buttons"), "0");
  // And the core refuses the shell's commands themselves, whoever calls them.
  redis("SET", `user:${userId}`, JSON.stringify({ id: userId, phone }), "EX", "3600");
  const call = (command, args) =>
    s.evalAsync((c, a) => window.__TAURI_INTERNALS__.invoke(c, a).then((v) => ({ value: v })), [command, args]);
  const refused = [
    ["cache_get", { name: "helpdesk", request: { key: `user:${userId}`, from: "", pageSize: 10 } }],
    ["cache_scan", { name: "helpdesk", request: { pattern: "token:*", cursor: "", pageSize: 50, count: null, confirmLarge: true } }],
    ["cache_change", { name: "helpdesk", key: `user:${userId}`, change: { kind: "delete" } }],
    ["monitor_sessions", { name: "helpdesk", filter: {}, longAfterSeconds: 60 }],
    ["monitor_kill", { name: "helpdesk", threadId: 1, mode: "connection" }],
  ];
  for (const [command, args] of refused) {
    const answer = await call(command, args);
    assert.equal(answer.rejected?.kind, "forbidden", `${command}: ${JSON.stringify(answer)}`);
  }
  assert.equal(redis("EXISTS", `user:${userId}`), "1", "the cached row is still there");
  redis("DEL", `user:${userId}`);
  await shot("13b-support-no-backup");
  // Back where the next test starts: the user's detail, still open on the Users screen.
  await s.clickOn("nav button[data-screen=users]");
  await s.waitUntil(
    (id) => document.querySelector("[data-testid=user-detail]")?.getAttribute("aria-label") === `User ${id}`,
    [userId],
    10000,
    "the user's detail again",
  );
});

test("a digital human opens from its owner's detail, with its owner masked for support", async () => {
  const [dhId, dhName] = sql(`SELECT id, name FROM digital_humans WHERE user_id = ${userId} ORDER BY id LIMIT 1`).split("\t");
  await s.clickOn("[data-testid=user-digital-humans] [role=row][data-dh] .link");
  await s.waitUntil(
    (id) => document.querySelector("[data-testid=dh-detail]")?.getAttribute("aria-label") === `Digital human ${id}`,
    [dhId],
    15000,
    "the digital human's detail",
  );
  // The heading shows the id until the row arrives.
  await s.waitUntil((name) => document.querySelector("[data-testid=dh-detail] h2")?.textContent.includes(name), [dhName], 15000, "the digital human's name");
  const detail = await s.text("[data-testid=dh-detail]");
  assert.ok(detail.includes(`${phone.slice(0, 3)}****${phone.slice(-4)}`), "the owner's phone is masked");
  assert.ok(!detail.includes(phone));
  await shot("14-digital-human");
});

// Conversation review, as the support profile `helpdesk` (active since the test above).
test("conversations with angry users are found, the largest thread opens and scrolls to its end", async () => {
  await s.clickOn("nav button[data-screen=conversations]");
  await s.clickOn("select[aria-label='User emotion'] option[value=angry]");
  const firstAngry = sql(
    "SELECT c.id FROM conversations c WHERE c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM conversation_messages m " +
      "WHERE m.conversation_id = c.id AND m.user_emotion = 'angry') ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1",
  );
  await s.waitUntil(
    (id) => document.querySelector("[aria-label=Conversations] [role=row] [data-column=id]")?.getAttribute("data-value") === id,
    [firstAngry],
    20000,
    "the newest angry conversation first",
  );
  await shot("15-angry-conversations");

  const [bigId, bigCount] = sql(
    "SELECT conversation_id, COUNT(*) n FROM conversation_messages GROUP BY conversation_id ORDER BY n DESC, conversation_id LIMIT 1",
  ).split("\t");
  const lastId = sql(`SELECT MAX(id) FROM conversation_messages WHERE conversation_id = ${bigId}`);
  await s.clickOn("select[aria-label='User emotion'] option[value='']");
  await s.fill("input[aria-label='Messages ≥']", bigCount);
  await s.clickOn(`[aria-label=Conversations] [data-column=id][data-value='${bigId}']`, 20000);
  await s.waitFor("[data-testid=emotion-chart]", 20000);
  const points = await s.waitUntil(() => Number(document.querySelector("[data-testid=emotion-chart]")?.dataset.points ?? 0), [], 10000, "emotion points");
  assert.ok(points > 0, "the chart shows the thread's emotions");
  // Scroll to the end as a reader does: each scroll near the bottom loads the next page.
  await s.waitUntil(
    (last) => {
      const thread = document.querySelector("[data-testid=thread]");
      thread.scrollTop = thread.scrollHeight;
      return !!thread.querySelector(`[data-message='${last}']`);
    },
    [lastId],
    30000,
    "the last message, scrolled to",
  );
  const loaded = await s.text(".thread-foot");
  assert.match(loaded, new RegExp(`${Number(bigCount).toLocaleString("en-US")} loaded`), "every page was loaded on the way");
  assert.match(loaded, /end of thread/);
  await shot("16-thread-end");
  // Back at the top, the End button jumps straight there.
  await s.clickOn("[data-action=jump-angry]");
  await s.clickOn("[data-action=jump-end]");
  await s.waitFor(`[data-testid=thread] [data-message='${lastId}']`, 20000);
});

test("a verdict with a tag and a note is saved, found as reviewed, and exported as Markdown", async () => {
  const [bigId] = sql(
    "SELECT conversation_id, COUNT(*) n FROM conversation_messages GROUP BY conversation_id ORDER BY n DESC, conversation_id LIMIT 1",
  ).split("\t");
  await s.clickOn("input[name=verdict][value=escalated]");
  await s.fill("input[name=tags]", "e2e-tag, rude");
  await s.fill("textarea[name=note]", "checked by the window test");
  await s.clickOn("[data-action=save-review]");
  await s.waitUntil(() => document.querySelector("[data-testid=reviews] li")?.textContent?.includes("escalated"), [], 15000, "the saved review");
  assert.equal(
    sql(`SELECT CONCAT(verdict, ' ', JSON_CONTAINS(tags, '"e2e-tag"'), ' ', note) FROM conversation_reviews WHERE conversation_id = ${bigId}`),
    "escalated 1 checked by the window test",
  );
  assert.equal(sql(`SELECT COUNT(*) FROM operation_logs WHERE action = 'conversation.review' AND resource_id = ${bigId}`), "1");
  await shot("17-reviewed");

  await s.clickOn("[data-action=back-to-list]");
  await s.fill("input[aria-label='Messages ≥']", "");
  await s.clickOn("select[aria-label=Reviewed] option[value=yes]");
  await s.fill("input[aria-label=Tag]", "e2e-tag");
  await s.waitUntil(
    (id) => {
      const ids = [...document.querySelectorAll("[aria-label=Conversations] [data-column=id]")].map((c) => c.getAttribute("data-value"));
      return ids.length === 1 && ids[0] === id;
    },
    [bigId],
    20000,
    "exactly the reviewed conversation",
  );
  await s.clickOn(`[aria-label=Conversations] [data-column=id][data-value='${bigId}']`);
  await s.clickOn("[data-action=export-md]");
  const toast = await s.waitUntil(
    () => [...document.querySelectorAll(".toast")].map((t) => t.textContent).find((t) => t.includes("mindpal-conversation-")),
    [],
    20000,
    "the export's path",
  );
  const path = toast.slice(toast.indexOf("/"), toast.indexOf(".md") + 3);
  const md = readFileSync(path, "utf8");
  assert.match(md, /## Reviews/);
  assert.match(md, /escalated/);
  assert.match(md, /checked by the window test/);
  assert.ok(!md.includes(phone), "support exports carry masked PII");
  await shot("18-exported");
});

test("what the support session typed and read left no unmasked phone, email or IP in the app's log", async () => {
  const [email, ip] = sql(`SELECT email, COALESCE(last_login_ip, '') FROM users WHERE id = ${userId}`).split("\t");
  // Support types the whole phone and the whole email, as a customer reads them out.
  await s.clickOn("nav button[data-screen=users]");
  // The list at full width, as a support agent starts a new search.
  await s.clickOn("[data-testid=user-detail] button[aria-label=Close]");
  for (const typed of [phone, email]) {
    await s.fill("input[name=user-search]", typed);
    await shot(`18a-support-typed-${typed === phone ? "phone" : "email"}`);
    await s.waitUntil(
      (id) => {
        const ids = [...document.querySelectorAll("[aria-label=Users] [data-column=id]")].map((c) => c.getAttribute("data-value"));
        return ids.length === 1 && ids[0] === id;
      },
      [userId],
      20000,
      "exactly the user typed for",
    );
  }
  await s.clickOn(`[role=row] [data-column=id][data-value='${userId}']`, 20000);
  await s.waitUntil(
    (id) => document.querySelector("[data-testid=user-detail]")?.getAttribute("aria-label") === `User ${id}`,
    [userId],
    20000,
    "the user's detail",
  );
  const logDir = join(process.env.HOME, ".local/share/com.mindpal.admin/logs");
  const logs = readdirSync(logDir)
    .filter((f) => f.startsWith("mindpal-admin.log"))
    .map((f) => readFileSync(join(logDir, f), "utf8"))
    .join("\n");
  assert.match(logs, /action="conversation\.review"/, "the log has the support session's review");
  assert.match(logs, /refused: operator profiles only/, "and the refusals it met");
  for (const [what, value] of [["phone", phone], ["email", email], ["IP", ip]]) {
    if (value) assert.ok(!logs.includes(value), `the ${what} of user ${userId} is in the log`);
  }
  await shot("18b-support-log-clean");
});
