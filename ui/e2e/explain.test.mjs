// The EXPLAIN workbench and the index report, in the real window against the sandbox.
// Runs after app.test.mjs (same HOME): its profile `local` is the sandbox's, as an operator.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KEY, Session } from "./webdriver.mjs";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end tests with scripts/e2e.sh`);
  return v;
};
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const sql = (query, db = "mindpal") =>
  execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", db, "-e", query]).toString().trim();

let s;
/** The editor's content element, inside its shadow root. */
async function typeSql(text) {
  const found = await s.waitUntil(() => document.querySelector(".sql-editor")?.shadowRoot?.querySelector(".cm-content"), [], 10000, "the editor");
  const el = Object.values(found)[0];
  // WebKitWebDriver now and then drops the first key after a clear: type until it reads back.
  for (let attempt = 0; attempt < 3; attempt++) {
    await s.click(el);
    await s.type(el, `${KEY.ctrl}a${KEY.null}${KEY.backspace}`);
    await s.type(el, text);
    const typed = await s.waitUntil(() => document.querySelector(".sql-editor")?.shadowRoot?.querySelector(".cm-content")?.textContent ?? null, [], 5000, "the editor's text");
    if (typed === text) break;
  }
  return el;
}
const shot = async (name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

before(async () => {
  s = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  // The operator profile app.test.mjs made, or the sandbox's own when run alone.
  const name = await s.waitUntil(
    () => ["local", "sandbox"].find((n) => document.querySelector(`#active-profile option[value=${n}]`)),
    [],
    15000,
    "an operator profile",
  );
  await s.clickOn(`#active-profile option[value=${name}]`);
  await s.clickOn("nav button[data-screen=explain]");
});
after(async () => {
  await s?.end();
});

test("the platform's DATE(created_at) query is a red full scan, and its range rewrite uses the index", async () => {
  await s.clickOn("[data-hot=conversations-of-a-day]");
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations][data-access=ALL] > .plan-node.sev-bad", 20000);
  const rewrite = await s.text("[data-rule=hiddenIndex] [data-testid=rewrite]");
  assert.match(rewrite, /created_at >= '2026-11-11 00:00:00' AND created_at < '2026-11-12 00:00:00'/);
  await shot("20-explain-date-full-scan");

  await s.clickOn("[data-rule=hiddenIndex] [data-action=explain-rewrite]");
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations][data-access=range] > .plan-node.sev-warn", 20000);
  const tree = await s.text("[data-testid=plan-tree]");
  assert.match(tree, /idx_created_at/, "the range is on idx_created_at");
  await s.clickOn("[data-action=view-table]");
  assert.match(await s.text("[data-testid=plan-table]"), /range/);
  await shot("21-explain-range-rewrite");
  await s.clickOn("[data-action=view-tree]");
});

test("a statement typed in the editor runs with Ctrl+Enter; a DELETE with ANALYZE is refused and deletes nothing", async () => {
  const id = sql("SELECT MIN(id) FROM conversations");
  const editor = await typeSql(`SELECT id, title FROM conversations WHERE id = ${id}`);
  await s.type(editor, `${KEY.ctrl}${KEY.enter}${KEY.null}`);
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations][data-access=const] > .plan-node.sev-good", 20000);
  assert.match(await s.text(".history-item"), new RegExp(`WHERE id = ${id}`), "the statement went into the history");

  await typeSql(`DELETE FROM conversations WHERE id = ${id}`);
  await s.clickOn("input[name=analyze]");
  await s.clickOn("[data-action=explain]");
  const refusal = await s.text(".explain-error [data-kind=refused]", 15000);
  assert.match(refusal, /ANALYZE runs the statement/);
  assert.equal(sql(`SELECT COUNT(*) FROM conversations WHERE id = ${id}`), "1", "the row is still there");
  await shot("22-explain-delete-refused");
  await s.clickOn("input[name=analyze]");
});

test("any expression around an indexed column names the index it hides; the month becomes a range that uses it", async () => {
  const editor = await typeSql("SELECT id FROM conversations WHERE DATE_FORMAT(created_at, '%Y-%m') = '2025-11'");
  await s.type(editor, `${KEY.ctrl}${KEY.enter}${KEY.null}`);
  const title = await s.text("[data-rule=hiddenIndex]", 20000);
  assert.match(title, /DATE_FORMAT\(\) on created_at hides the index idx_created_at on conversations\.created_at/);
  assert.match(
    await s.text("[data-rule=hiddenIndex] [data-testid=rewrite]"),
    /created_at >= '2025-11-01 00:00:00' AND created_at < '2025-12-01 00:00:00'/,
  );
  await shot("22a-explain-hidden-index");
  await s.clickOn("[data-rule=hiddenIndex] [data-action=explain-rewrite]");
  await s.waitFor("[data-testid=plan-tree] li[data-table=conversations][data-access=range]", 20000);
  assert.match(await s.text("[data-testid=plan-tree]"), /idx_created_at/);

  // NOT IN over a column that may be NULL: never true once a NULL is there; NOT EXISTS instead.
  await typeSql("SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM knowledge_base)");
  await s.clickOn("[data-action=explain]");
  assert.match(await s.text("[data-rule=notInNullable]", 20000), /NOT IN over knowledge_base\.user_id, which may be NULL/);
  assert.match(await s.text("[data-rule=notInNullable] [data-testid=rewrite]"), /NOT EXISTS \(SELECT 1 FROM knowledge_base WHERE knowledge_base\.user_id = users\.id\)/);
  await shot("22b-explain-not-in-nullable");
});

test("Try it builds the suggested index on a scratch copy, shows both plans, and leaves nothing behind", async () => {
  await typeSql("SELECT id, conversation_id FROM conversation_messages WHERE intent = 'refund'");
  await s.clickOn("[data-action=explain]");
  assert.match(await s.text("[data-rule=fullScan] [data-testid=ddl]", 20000), /ADD INDEX `idx_intent` \(`intent`\)/);
  const before = Number(sql("SELECT COUNT(*) FROM operation_logs WHERE action = 'explain.try_index'"));
  await s.clickOn("[data-rule=fullScan] [data-action=try-index]");
  const verdict = await s.text("[data-testid=try-verdict]", 60000);
  assert.match(verdict, /Rows estimated: [\d,]+ without the index, [\d,]+ with it/);
  await s.waitFor("[data-testid=try-without] li[data-table=conversation_messages][data-access=ALL]");
  // The panel at the top of its scrolling pane, both plans side by side.
  await s.waitUntil(() => {
    const panel = document.querySelector("[data-testid=try-index]");
    let pane = panel.parentElement;
    while (pane && !(pane.scrollHeight > pane.clientHeight && pane.ownerDocument.defaultView.getComputedStyle(pane).overflowY !== "visible")) pane = pane.parentElement;
    pane = pane ?? document.scrollingElement;
    pane.scrollTop += panel.getBoundingClientRect().top - (pane === document.scrollingElement ? 0 : pane.getBoundingClientRect().top);
    return true;
  });
  await shot("22c-explain-try-it");
  const withIndex = await s.text("[data-testid=try-with]");
  assert.match(withIndex, /ref\s*conversation_messages\s*key try_intent/, withIndex);
  assert.match(await s.text("[data-testid=try-sampled]"), /conversation_messages: [\d,]+ of about [\d,]+ rows copied · into mindpal_try_\S+, dropped after/);
  // Nothing left behind: no scratch database, no index on the live table; one audit row.
  assert.equal(sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'mindpal\\_try\\_%'"), "0");
  assert.equal(sql("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'mindpal' AND INDEX_NAME = 'try_intent'"), "0");
  assert.equal(Number(sql("SELECT COUNT(*) FROM operation_logs WHERE action = 'explain.try_index'")), before + 1);
  await s.clickOn("[data-action=close-try]");
});

test("a MySQL 8 plan pasted from elsewhere shows as the same tree, without a connection", async () => {
  const plan = readFileSync(join(root, "crates/core/src/explain/plan/fixtures/mysql83-v2-join.json"), "utf8");
  await s.clickOn("[data-action=plan-mode]");
  await s.waitFor("textarea[name=plan]");
  // Typing a whole plan key by key is slow; the textarea is React-controlled, so set it the
  // way the browser would and let React hear the input event.
  await s.waitUntil(
    (text) => {
      const area = document.querySelector("textarea[name=plan]");
      const setter = Object.getOwnPropertyDescriptor(window.HTMLTextAreaElement.prototype, "value").set;
      setter.call(area, text);
      area.dispatchEvent(new window.Event("input", { bubbles: true }));
      return true;
    },
    [plan],
  );
  await s.clickOn("[data-action=read-plan]");
  await s.waitFor("[data-testid=explain-report][data-source=mySqlJsonV2] li[data-table=emp][data-access=ALL]", 10000);
  await s.waitFor("li[data-table=dept][data-access=eq_ref]");
  await shot("23-explain-pasted-mysql-plan");
});

test("the index report of a database made from the source design lists idx_phone as redundant", async () => {
  sql("DROP DATABASE IF EXISTS mindpal_source; CREATE DATABASE mindpal_source CHARACTER SET utf8mb4");
  execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "mindpal_source"], {
    input: readFileSync(join(root, "crates/core/tests/fixtures/mindpal-source-design.sql")),
  });
  await s.clickOn("nav button[data-screen=indexes]");
  await s.waitFor("[data-testid=index-report]", 20000);
  await s.clickOn("#index-db option[value=mindpal_source]", 10000);
  // The row's cells as text (a wrapped grid row: WebDriver's visible text leaves out cells that hold bare text).
  const row = await s.waitUntil(
    (css) => document.querySelector(css)?.textContent ?? null,
    ["[data-testid=index-report][data-database=mindpal_source] [role=row][data-issue=redundant][data-table=users][data-index=idx_phone]"],
    20000,
    "the idx_phone finding",
  );
  await shot("24-index-report");
  assert.match(row, /a copy of UNIQUE/);
  assert.match(row, /DROP INDEX `idx_phone`/);
  assert.match(await s.text("[data-testid=usage-source]"), /userstat|INDEX_STATISTICS|performance_schema/);
  assert.equal(
    sql("SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'mindpal_source' AND INDEX_NAME = 'idx_phone'"),
    "1",
    "the DDL is shown, never run",
  );
});
