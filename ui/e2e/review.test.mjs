// The support team's shared queue in two real windows at once: two support profiles (li and
// wang) take different conversations from one QA sample, see who holds what, give each
// sample conversation its two reviews, and the lead's dashboard shows both reviewers and
// where they disagree. Each window is its own app process, through its own tauri-driver.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Session } from "./webdriver.mjs";
import { env, storeSandboxProfile } from "./sandbox.mjs";

const PORT = Number(env("E2E_SANDBOX_PORT"));
const SHOTS = env("E2E_ARTIFACTS");
mkdirSync(SHOTS, { recursive: true });
const sql = (query) =>
  execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-N", "-B", "mindpal", "-e", query]).toString().trim();
const QUEUE = "qa-two-windows";

let li;
let wang;
let driver;
const shot = async (s, name) => writeFileSync(join(SHOTS, `${name}.png`), await s.screenshot());

/** Two consecutive free loopback ports for a second tauri-driver and its WebKitWebDriver. */
async function freePorts() {
  for (;;) {
    const port = await new Promise((resolve) => {
      const srv = createServer();
      srv.listen(0, "127.0.0.1", () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    const next = await new Promise((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port + 1, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (next && port < 65000) return port;
  }
}

/** The conversation a window has open (its detail panel's id). */
const openIn = (s) =>
  s.waitUntil(() => document.querySelector("[data-testid=conversation-detail]")?.getAttribute("aria-label")?.replace("Conversation ", ""), [], 20000, "an open conversation");

/** The conversation `who` claimed last in this file (held or not). */
const claimedBy = async (who) => sql(`SELECT conversation_id FROM review_claims WHERE reviewer LIKE '%@${who}' ORDER BY id DESC LIMIT 1`) || null;

/**
 * Saves `who`'s verdict on the open conversation and waits for it to be listed as theirs. The
 * claim's line settles first, and the verdict is seen checked before Save; a failure names the
 * toasts on screen and leaves a screenshot.
 */
async function review(s, who, verdict) {
  await s.waitFor("[data-testid=claim-state]:not([data-pending])", 20000);
  const checked = (v) => s.cmd("POST", "/execute/sync", { script: "return !!document.querySelector(`input[name=verdict][value=${arguments[0]}]`)?.checked", args: [v] });
  for (let i = 0; i < 5 && !(await checked(verdict)); i++) await s.clickOn(`input[name=verdict][value=${verdict}]`);
  assert.ok(await checked(verdict), `${who}'s verdict ${verdict} is checked`);
  await s.clickOn("[data-action=save-review]");
  try {
    await s.waitUntil(
      (v, w) => [...document.querySelectorAll("[data-testid=reviews] li")].some((li) => li.textContent.startsWith(`${v} by `) && li.textContent.includes(`@${w} `)),
      [verdict, who],
      30000,
      "the saved review",
    );
  } catch (e) {
    await shot(s, `30x-review-not-listed-${who}`);
    const toasts = await s.cmd("POST", "/execute/sync", { script: "return [...document.querySelectorAll('.toast')].map((t) => t.textContent).join(' | ')", args: [] });
    throw new Error(`${who}'s ${verdict} review was not listed (toasts: ${toasts || "none"})`, { cause: e });
  }
}

async function startReviewing(s, queue) {
  await s.clickOn(`select[aria-label='Review from'] option[value='${queue}']`, 20000);
  await s.clickOn("[data-action=start-reviewing]");
  return openIn(s);
}

before(async () => {
  storeSandboxProfile();
  const storeFile = env("E2E_STORE_FILE");
  const store = JSON.parse(readFileSync(storeFile, "utf8"));
  const sandbox = store.profiles.find((p) => p.name === "sandbox");
  const support = (name, role = "support") => ({ ...sandbox, name, role, readOnly: false });
  store.profiles = store.profiles
    .filter((p) => !["li", "wang", "chen"].includes(p.name))
    .concat([support("li"), support("wang"), support("chen", "lead")]);
  writeFileSync(storeFile, JSON.stringify(store));
  sql(`DELETE FROM review_queues WHERE name = '${QUEUE}'`);

  const port = await freePorts();
  driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (await fetch(`${url}/status`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  li = await Session.start(env("E2E_DRIVER_URL"), env("E2E_APP"));
  wang = await Session.start(url, env("E2E_APP"));
  await li.clickOn("#active-profile option[value=li]", 20000);
  await wang.clickOn("#active-profile option[value=wang]", 20000);
});

after(async () => {
  await li?.end();
  await wang?.end();
  driver?.kill("SIGTERM");
  // The files after this one find the store as they would without it.
  const storeFile = env("E2E_STORE_FILE");
  const store = JSON.parse(readFileSync(storeFile, "utf8"));
  store.profiles = store.profiles.filter((p) => !["li", "wang", "chen"].includes(p.name));
  writeFileSync(storeFile, JSON.stringify(store));
});

test("li samples for QA with two reviewers each; li and wang start reviewing it at once and get different conversations", async () => {
  await li.clickOn("nav button[data-screen=conversations]");
  await li.clickOn("[data-action=sample-qa]");
  await li.fill("input[name=queue-name]", QUEUE);
  await li.clickOn("select[aria-label=Per] option[value=digital_human]");
  await li.fill("input[aria-label='Conversations each']", "2");
  // The whole seeded history: the sandbox's conversations span years.
  await li.waitUntil(
    () => {
      // A native date input: its value is set as a user's pick would.
      const el = document.querySelector("input[aria-label='Sample from']");
      Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), "value").set.call(el, "2000-01-01");
      el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
      return true;
    },
    [],
    5000,
    "the first day picked",
  );
  await li.fill("input[aria-label=Seed]", "20261203");
  await li.clickOn("input[name=double-review]");
  await shot(li, "30a-sample-for-qa");
  await li.clickOn("[data-action=make-sample]");
  await li.waitUntil(
    (q) => [...document.querySelectorAll("select[aria-label='Review from'] option")].some((o) => o.value === q && o.selected),
    [QUEUE],
    20000,
    "the new queue chosen",
  );
  const items = Number(sql(`SELECT COUNT(*) FROM review_queue_items i JOIN review_queues q ON q.id = i.queue_id WHERE q.name = '${QUEUE}'`));
  assert.ok(items >= 2, `the sample has conversations (${items})`);
  assert.equal(sql(`SELECT COUNT(*) FROM operation_logs WHERE action = 'review.queue.create' AND details LIKE '%${QUEUE}%'`), "1");

  await wang.clickOn("nav button[data-screen=conversations]");
  // Both click at once.
  const [a, b] = await Promise.all([startReviewing(li, QUEUE), startReviewing(wang, QUEUE)]);
  assert.notEqual(a, b, "two reviewers never get the same conversation");
  const held = sql(
    "SELECT GROUP_CONCAT(CONCAT(held_conversation_id, '=', SUBSTRING_INDEX(reviewer, '@', -1)) ORDER BY reviewer) FROM review_claims " +
      "WHERE held_conversation_id IS NOT NULL AND expires_at > NOW(3) AND (reviewer LIKE '%@li' OR reviewer LIKE '%@wang')",
  );
  assert.equal(held, `${a}=li,${b}=wang`);
  await li.waitFor("[data-testid=claim-state][data-mine]");
  await shot(li, "30b-li-reviewing");
  await shot(wang, "30c-wang-reviewing");
});

test("wang opens li's conversation by hand: li is reviewing it, with the minutes left", async () => {
  const a = await openIn(li);
  const user = sql(`SELECT user_id FROM conversations WHERE id = ${a}`);
  await wang.clickOn("[data-action=back-to-list]");
  await wang.fill("input[aria-label='User id']", user);
  // The user's conversations may be many: scroll the grid to the one li holds.
  await wang.waitUntil(
    (id) => {
      const cell = document.querySelector(`[aria-label=Conversations] [data-column=id][data-value='${id}']`);
      if (cell) return true;
      const body = document.querySelector("[role=grid][aria-label=Conversations] .grid-body");
      if (body) body.scrollTop += 300;
      return false;
    },
    [a],
    30000,
    "li's conversation in wang's list",
  );
  await wang.clickOn(`[aria-label=Conversations] [data-column=id][data-value='${a}']`, 20000);
  const banner = await wang.text("[data-testid=claim-state][data-held-by]", 20000);
  assert.match(banner, /@li is reviewing this, 1[45] min left/);
  await shot(wang, "30d-held-by-li");
  await wang.clickOn("[data-action=back-to-list]");
  await wang.fill("input[aria-label='User id']", "");
});

test("each sample conversation gets its two reviews; the lead's dashboard shows both reviewers and their disagreement", async () => {
  const a = await openIn(li);
  const b = (await claimedBy("wang")) ?? "";
  // wang went back to the list above, so their claim on b was released; li holds a.
  await review(li, "li", "ok");
  await li.waitFor("[data-testid=claim-state][data-ended=saved]");
  // Whichever of a and b comes first in the sample, each reviewer is offered the one they
  // have not reviewed yet, never the other's open one: li says ok to both, wang escalates b.
  const done = { li: new Set([a]), wang: new Set() };
  for (const [s, who] of [[wang, "wang"], [li, "li"], [wang, "wang"]]) {
    if (await s.cmd("POST", "/execute/sync", { script: "return !!document.querySelector('[data-action=back-to-list]')", args: [] })) {
      await s.clickOn("[data-action=back-to-list]");
    }
    const got = await startReviewing(s, QUEUE);
    assert.ok([a, b].includes(got) && !done[who].has(got), `${who} is offered a conversation of the sample not reviewed by them (${got})`);
    done[who].add(got);
    await review(s, who, who === "wang" && got === b ? "escalated" : "ok");
  }
  assert.equal(
    sql(`SELECT COUNT(DISTINCT conversation_id, SUBSTRING_INDEX(reviewer, '@', -1)) FROM conversation_reviews WHERE conversation_id IN (${a}, ${b}) AND (reviewer LIKE '%@li' OR reviewer LIKE '%@wang')`),
    "4",
  );

  // A support profile sees its own figures only.
  await li.clickOn("nav button[data-screen=reviewers]");
  await li.waitFor("[data-testid=reviewer-days]", 20000);
  const own = await li.waitUntil(() => [...document.querySelectorAll("[data-testid=reviewer-days] [role=row][data-reviewer]")].map((r) => r.dataset.reviewer), [], 10000, "rows");
  assert.ok(own.length > 0 && own.every((r) => r.endsWith("@li")), `li sees only li: ${own}`);
  await shot(li, "30e-dashboard-own");

  // The team's lead (a support-lead profile: PII still masked) sees both, and their agreement.
  await li.clickOn("#active-profile option[value=chen]");
  await li.clickOn("nav button[data-screen=reviewers]");
  const both = await li.waitUntil(
    () => {
      const rows = [...document.querySelectorAll("[data-testid=reviewer-days] [role=row][data-reviewer]")].map((r) => r.dataset.reviewer);
      return rows.some((r) => r.endsWith("@li")) && rows.some((r) => r.endsWith("@wang")) ? rows : null;
    },
    [],
    20000,
    "both reviewers on the dashboard",
  );
  assert.ok(both.length >= 2);
  // Each matching grid row as its cells' text joined by " | ", or null until there is one.
  const cells = (css) => {
    const rows = [...document.querySelectorAll(css)].map((row) => [...row.querySelectorAll("[role=gridcell]")].map((c) => c.textContent).join(" | "));
    return rows.length ? rows : null;
  };
  const pairs = await li.waitUntil(cells, ["[data-testid=reviewer-pairs] [role=row][data-pair]"], 10000, "the pairs");
  assert.ok(pairs.some((p) => /@li \/ \S*@wang \| 2 \| 1 \(50%\) \| 0\.00$/.test(p)), `pairs: ${pairs}`);
  const disagreements = await li.text("[data-testid=disagreements]");
  assert.match(disagreements, new RegExp(`#${b} .*@li: ok · .*@wang: escalated`));
  const queued = Number(sql(`SELECT COUNT(*) FROM review_queue_items i JOIN review_queues q ON q.id = i.queue_id WHERE q.name = '${QUEUE}'`));
  const queueRow = (await li.waitUntil(cells, [`[data-testid=review-queues] [role=row][data-queue="${QUEUE}"]`], 10000, "the queue"))[0];
  assert.match(queueRow, new RegExp(`^${QUEUE} \\|.*\\| 2 of ${queued}$`));
  await shot(li, "30f-dashboard-lead");
  // A disagreement opens its conversation.
  await li.clickOn("[data-action=open-disagreement]");
  assert.equal(await openIn(li), b);
  await li.waitUntil(() => document.querySelectorAll("[data-testid=reviews] li").length === 2, [], 15000, "both reviews listed");
  await shot(li, "30g-disagreement-opened");
});

test("a search shown as not counted is counted on demand, exactly", async () => {
  await li.clickOn("[data-action=back-to-list]");
  await li.clickOn("select[aria-label='User emotion'] option[value=angry]");
  await li.waitUntil(() => document.querySelector("[data-testid=conversations-status]")?.textContent?.includes("not counted"), [], 20000, "not counted");
  await li.clickOn("[data-action=count-now]");
  const truth = Number(
    sql(
      "SELECT COUNT(*) FROM conversations c WHERE c.deleted_at IS NULL AND EXISTS (SELECT 1 FROM conversation_messages m " +
        "WHERE m.conversation_id = c.id AND m.user_emotion = 'angry')",
    ),
  );
  const counted = await li.text("[data-testid=counted]", 30000);
  assert.equal(counted, `${truth.toLocaleString("en-US")} conversations`);
  await shot(li, "30h-count-now");
});
