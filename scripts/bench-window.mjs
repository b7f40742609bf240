// The window's launch time (until the overview's table is on screen, real data loaded) and its
// idle memory (PSS summed over the app and its WebKit processes). Run by scripts/bench-window.sh.
import { readFileSync, readdirSync } from "node:fs";
import { Session } from "../ui/e2e/webdriver.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function children(pid) {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry), ...children(Number(entry)));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function pssKb(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function appPid(app) {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0] === app) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}

const launches = [];
let pss = 0;
for (let run = 0; run < RUNS; run += 1) {
  const started = performance.now();
  const s = await Session.start(process.env.E2E_DRIVER_URL, process.env.E2E_APP);
  await s.waitUntil(
    () => [...document.querySelectorAll("[data-column=table]")].some((c) => c.textContent === "users"),
    [],
    30000,
    "the overview table",
  );
  launches.push(performance.now() - started);
  if (run === RUNS - 1) {
    await new Promise((r) => setTimeout(r, 5000)); // idle
    const pid = appPid(process.env.E2E_APP);
    pss = pid ? [pid, ...children(pid)].reduce((sum, p) => sum + pssKb(p), 0) : 0;
  }
  await s.end();
  await new Promise((r) => setTimeout(r, 1000));
}
launches.sort((a, b) => a - b);
const median = launches[Math.floor(launches.length / 2)];
console.log(`window launch to interactive overview: median ${(median / 1000).toFixed(2)} s of ${RUNS} (aim ≤ 1.50 s: ${(median / 1500).toFixed(2)} of the budget)`);
console.log(`idle memory, PSS of the app and its WebKit processes: ${(pss / 1024).toFixed(0)} MB (aim ≤ 300 MB)`);
