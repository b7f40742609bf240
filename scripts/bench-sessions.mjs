// What one command costs in the shell, and whether a dead host costs the other profiles
// anything. Run by scripts/bench-window.sh, against the window's own sandbox.
//  - a users page through the shell (IPC + profile + passwords + pool + query), the first
//    call after a profile's password was saved (the keyring is read) against the calls after
//    it (the session's passwords), and the same page through the window's other profile;
//  - the same page of the sandbox while another profile's host accepts and never answers.
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { Session } from "../ui/e2e/webdriver.mjs";

const PORT = Number(process.env.E2E_SANDBOX_PORT);
const CALLS = Number(process.env.BENCH_CALLS ?? 40);
const sql = (q) => execFileSync("mariadb", ["--protocol=tcp", "-h127.0.0.1", `-P${PORT}`, "-uroot", "-e", q]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;

const s = await Session.start(process.env.E2E_DRIVER_URL, process.env.E2E_APP);
await s.waitFor("#active-profile option[value=sandbox]", 30000);
const call = (command, args) =>
  s.evalAsync(
    (c, a) => {
      const t0 = performance.now();
      return window.__TAURI_INTERNALS__.invoke(c, a).then(
        (value) => ({ ok: true, ms: performance.now() - t0, rows: value?.rows?.length }),
        (e) => ({ ok: false, ms: performance.now() - t0, error: e }),
      );
    },
    [command, args],
  );
const page = (name) => call("find_users", { name, search: { limit: 50 }, after: null, fromReplica: false });

// A profile with a password in the keyring.
sql("DROP USER IF EXISTS 'mp_bench'@'127.0.0.1'");
sql("CREATE USER 'mp_bench'@'127.0.0.1' IDENTIFIED BY 'bench-Pass-1'");
sql("GRANT SELECT ON mindpal.* TO 'mp_bench'@'127.0.0.1'");
const profile = {
  name: "bench",
  role: "operator",
  readOnly: true,
  mysql: { host: "127.0.0.1", port: PORT, socket: null, user: "mp_bench", passwordSaved: false, database: "mindpal", tls: "disabled", caFile: null },
  replicas: [],
};
const firsts = [];
const steady = [];
for (let round = 0; round < 5; round += 1) {
  const saved = await call("save_profile", { input: { profile, originalName: round ? "bench" : null, passwords: { mysql: "bench-Pass-1", replicas: [], redis: null }, sessionOnly: false } });
  if (!saved.ok) throw new Error(`saving the profile: ${JSON.stringify(saved.error)}`);
  const first = await page("bench");
  if (!first.ok) throw new Error(`the first page: ${JSON.stringify(first.error)}`);
  firsts.push(first.ms);
  for (let i = 0; i < CALLS / 5; i += 1) steady.push((await page("bench")).ms);
}
const sandbox = [];
for (let i = 0; i < CALLS; i += 1) sandbox.push((await page("sandbox")).ms);
console.log("a users page (50 rows) through the shell, end to end from the window:");
console.log(`  first call after the password was saved (keyring read, pool opened): median ${ms(median(firsts))} of ${firsts.length}`);
console.log(`  every call after it (the session's passwords and pool): median ${ms(median(steady))} of ${steady.length} — the first costs ×${(median(firsts) / median(steady)).toFixed(1)}`);
console.log(`  the sandbox profile (no password): median ${ms(median(sandbox))} of ${sandbox.length}`);

// A host gone dark: it accepts and never answers.
const sockets = [];
const hole = createServer((c) => sockets.push(c));
await new Promise((r) => hole.listen(0, "127.0.0.1", r));
await call("save_profile", {
  input: { profile: { ...profile, name: "dark", mysql: { ...profile.mysql, user: "root", port: hole.address().port } }, originalName: null, passwords: { mysql: null, replicas: [], redis: null }, sessionOnly: false },
});
const during = [];
for (let round = 0; round < 3; round += 1) {
  await s.cmd("POST", "/execute/sync", {
    script: `window.__dark = false; window.__TAURI_INTERNALS__.invoke("load_overview", { name: "dark" }).finally(() => { window.__dark = true; }); return true;`,
    args: [],
  });
  for (let i = 0; i < 10; i += 1) during.push((await page("sandbox")).ms);
  await s.waitUntil(() => window.__dark, [], 20000, "the dark profile to time out");
}
console.log(
  `  the same page while another profile's host is black-holed (its connect waits 5 s): median ${ms(median(during))}, slowest ${ms(Math.max(...during))} of ${during.length} (aim < 100 ms)`,
);
for (const c of sockets) c.destroy();
hole.close();
await call("delete_profile", { name: "dark" });
await call("delete_profile", { name: "bench" });
sql("DROP USER 'mp_bench'@'127.0.0.1'");
await s.end();
