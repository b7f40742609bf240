// What operators watch between incidents: load from SHOW GLOBAL STATUS deltas with charts of
// the minutes the screen has been open, the sessions with long transactions and lock waits
// (KILL for operators, one click to EXPLAIN), the costliest statements, and the settings
// beside the platform's recommendations.
import { useMemo, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, may, monitorAdvice, monitorDashboard, monitorKill, monitorSessions, monitorTop } from "../../api";
import type { DashboardPoint } from "../../bindings/DashboardPoint";
import type { KillMode } from "../../bindings/KillMode";
import type { LockWait } from "../../bindings/LockWait";
import type { LongTransaction } from "../../bindings/LongTransaction";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { Session } from "../../bindings/Session";
import type { SessionFilter } from "../../bindings/SessionFilter";
import type { TopStatement } from "../../bindings/TopStatement";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatCount, formatDuration } from "../../format";
import { TimeChart } from "../../components/TimeChart";

type Tab = "dashboard" | "sessions" | "top" | "advisor";
const TABS: { id: Tab; label: string }[] = [
  { id: "dashboard", label: "Dashboard" },
  { id: "sessions", label: "Sessions" },
  { id: "top", label: "Top statements" },
  { id: "advisor", label: "Tuning advisor" },
];

export function MonitorScreen({ profile, onExplain }: { profile: Profile; onExplain: (sql: string) => void }) {
  const [tab, setTab] = useState<Tab>("dashboard");
  return (
    <div className="stack">
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" data-tab={t.id} aria-selected={tab === t.id} className={tab === t.id ? "active" : ""} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      {tab === "dashboard" && <DashboardView profile={profile} />}
      {tab === "sessions" && <SessionsView profile={profile} onExplain={onExplain} />}
      {tab === "top" && <TopView profile={profile} onExplain={onExplain} />}
      {tab === "advisor" && <AdvisorView profile={profile} />}
    </div>
  );
}

const num = (v: number, digits = 1) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? "–" : `${(v * 100).toFixed(2)} %`);

function DashboardView({ profile }: { profile: Profile }) {
  // The shell keeps the history, so leaving the tab and coming back keeps the chart.
  const q = useQuery({ queryKey: ["dashboard", profile.name], queryFn: () => monitorDashboard(profile.name), refetchInterval: 2000, gcTime: 0 });
  if (q.isError && !q.data) return <ErrorLine error={asUiError(q.error)} />;
  if (!q.data) return <p className="muted">Reading SHOW GLOBAL STATUS…</p>;
  const d = q.data;
  const last = d.points[d.points.length - 1];
  return (
    <>
      {q.isError && <ErrorLine error={asUiError(q.error)} />}
      {!last && <p className="muted">The first rates appear after the second reading, two seconds from now.</p>}
      {last && (
        <section className="tiles" data-testid="dashboard-tiles">
          <Tile label="Queries / s" value={num(last.qps)} testid="qps" detail={`select ${num(last.selectPerSec)} · insert ${num(last.insertPerSec)} · update ${num(last.updatePerSec)} · delete ${num(last.deletePerSec)} · other ${num(last.otherPerSec)}`} />
          <Tile
            label="Threads connected"
            value={`${last.threadsConnected} / ${last.maxConnections}`}
            tone={last.threadsConnected > last.maxConnections * 0.8 ? "bad" : undefined}
            detail={`${last.threadsRunning} running · most ever ${d.maxUsedConnections}`}
          />
          <Tile label="Buffer-pool hit ratio" value={pct(last.bufferPoolHitRatio)} tone={last.bufferPoolHitRatio !== null && last.bufferPoolHitRatio < 0.99 ? "warn" : undefined} detail="page requests served without a disk read, this interval" />
          <Tile label="InnoDB rows / s" value={`${num(last.rowsReadPerSec, 0)} read`} detail={`${num(last.rowsWrittenPerSec, 0)} written · data reads ${num(last.dataReadsPerSec)} · writes ${num(last.dataWritesPerSec)} / s`} />
          <Tile label="Slow queries" value={String(last.slowQueries)} tone={last.slowQueries > 0 ? "warn" : undefined} detail={`this interval · ${d.slowQueriesTotal} since start`} />
          <Tile label="Aborted connects" value={String(last.abortedConnects)} tone={last.abortedConnects > 0 ? "warn" : undefined} detail={`this interval · ${d.abortedConnectsTotal} since start`} />
          <Tile label="Temp tables on disk" value={`${last.tmpDiskTables} / ${last.tmpTables}`} tone={last.tmpDiskTables > 0 ? "warn" : undefined} detail="on disk / all, this interval" />
        </section>
      )}
      {d.points.length >= 2 && (
        <div className="charts">
          <Chart title="Queries per second" points={d.points} lines={QPS_LINES} format={perSecond} />
          <Chart title="Threads" points={d.points} lines={THREAD_LINES} format={whole} />
          <Chart title="InnoDB rows per second" points={d.points} lines={ROW_LINES} format={perSecond} />
        </div>
      )}
      <p className="muted">Uptime {formatDuration(d.uptimeSeconds * 1000)} · refreshed every 2 s while this screen is open.</p>
    </>
  );
}

function Tile({ label, value, detail, tone, testid }: { label: string; value: string; detail: string; tone?: "warn" | "bad"; testid?: string }) {
  return (
    <div className={`tile card ${tone ?? ""}`}>
      <div className="muted">{label}</div>
      <div className="tile-value" data-testid={testid}>
        {value}
      </div>
      <div className="muted small">{detail}</div>
    </div>
  );
}

type Line = { label: string; value: (p: DashboardPoint) => number };
const QPS_LINES: Line[] = [
  { label: "all", value: (p) => p.qps },
  { label: "select", value: (p) => p.selectPerSec },
  { label: "writes", value: (p) => p.insertPerSec + p.updatePerSec + p.deletePerSec },
];
const THREAD_LINES: Line[] = [
  { label: "connected", value: (p) => p.threadsConnected },
  { label: "running", value: (p) => p.threadsRunning },
];
const ROW_LINES: Line[] = [
  { label: "read", value: (p) => p.rowsReadPerSec },
  { label: "written", value: (p) => p.rowsWrittenPerSec },
];
// Whole numbers stay whole on the axis ("0/s", not "0.0/s").
const perSecond = (v: number) => `${Number.isInteger(v) || Math.abs(v) >= 100 ? formatCount(v) : v.toFixed(1)}/s`;
const whole = (v: number) => formatCount(v);

/** Lines over the points the shell has kept, newest on the right. */
function Chart({ title, points, lines, format }: { title: string; points: DashboardPoint[]; lines: Line[]; format: (v: number) => string }) {
  const times = useMemo(() => points.map((p) => Date.parse(p.at)), [points]);
  const series = useMemo(() => lines.map((l) => ({ label: l.label, values: points.map(l.value) })), [points, lines]);
  const span = times[times.length - 1] - times[0];
  return (
    <figure className="card chart-card">
      <h2>
        {title}, last {formatDuration(span)}
      </h2>
      <TimeChart label={title} times={times} series={series} format={format} />
    </figure>
  );
}

type Kill = { id: string; mode: KillMode; who: string; statement: string | null };
const EXPLAINABLE = /^\s*(select|with|update|delete|insert|replace)\b/i;

function SessionsView({ profile, onExplain }: { profile: Profile; onExplain: (sql: string) => void }) {
  const [filter, setFilter] = useState<SessionFilter>({ user: null, host: null, db: null, command: null, minSeconds: null, hideSleeping: true });
  const [longAfter, setLongAfter] = useState(60);
  const [kill, setKill] = useState<Kill | null>(null);
  const [busy, setBusy] = useState(false);
  const toasts = useToasts();
  const client = useQueryClient();
  const operator = may(profile, "kill");
  const key = ["sessions", profile.name, filter, longAfter];
  const q = useQuery({ queryKey: key, queryFn: () => monitorSessions(profile.name, filter, longAfter), refetchInterval: 3000 });
  const set = (patch: Partial<SessionFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const text = (v: string) => (v.trim() === "" ? null : v);

  const doKill = async () => {
    if (!kill) return;
    setBusy(true);
    try {
      const k = await monitorKill(profile.name, kill.id, kill.mode);
      toasts.info(k.mode === "query" ? "Statement killed" : "Connection killed", `session ${k.threadId} (${k.user}@${k.host}); written to operation_logs`);
      setKill(null);
      await client.invalidateQueries({ queryKey: ["sessions", profile.name] });
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  const killButtons = (id: string, who: string, statement: string | null, own = false) =>
    operator &&
    !own && (
      <>
        <button type="button" data-action="kill-query" onClick={() => setKill({ id, mode: "query", who, statement })}>
          Kill query
        </button>
        <button type="button" className="danger" data-action="kill-connection" onClick={() => setKill({ id, mode: "connection", who, statement })}>
          Kill
        </button>
      </>
    );
  const explainButton = (statement: string | null) =>
    statement &&
    EXPLAINABLE.test(statement) && (
      <button type="button" data-action="explain" onClick={() => onExplain(statement)}>
        Explain
      </button>
    );
  const transactionColumns: GridColumn<LongTransaction>[] = [
    { id: "session", header: "Session", type: "id", value: (t) => Number(t.threadId), width: 70 },
    {
      id: "age",
      header: "Age",
      type: "number",
      value: (t) => t.ageSeconds,
      width: 70,
      render: (t) => (
        <span data-testid="trx-age" data-seconds={t.ageSeconds}>
          {formatDuration(t.ageSeconds * 1000)}
        </span>
      ),
    },
    { id: "state", header: "State", type: "text", value: (t) => t.state, width: 90 },
    { id: "rows", header: "Rows locked / changed", type: "text", value: (t) => `${t.rowsLocked} / ${t.rowsModified}`, width: 110 },
    { id: "who", header: "Who", type: "text", value: (t) => `${t.user ?? "?"}@${t.host ?? "?"}${t.db ? ` · ${t.db}` : ""}`, width: 170 },
    {
      id: "statement",
      header: "Statement",
      type: "text",
      value: (t) => t.statement,
      width: 170,
      render: (t) =>
        t.statement ? (
          <span className="sql" title={t.statement}>
            {t.statement}
          </span>
        ) : t.command === "Sleep" ? (
          <em className="muted">idle inside the transaction — a forgotten COMMIT?</em>
        ) : null,
    },
    {
      id: "actions",
      header: "",
      type: "text",
      value: () => null,
      width: 260,
      render: (t) => (
        <span className="actions">
          {explainButton(t.statement)}
          {killButtons(t.threadId, `${t.user ?? "?"}@${t.host ?? "?"}`, t.statement)}
        </span>
      ),
    },
  ];
  const lockColumns: GridColumn<LockWait>[] = [
    { id: "waiting", header: "Waiting", type: "text", value: (w) => `${w.waitingThread}: ${w.waitingStatement ?? ""}`, width: 260 },
    { id: "for", header: "For", type: "seconds", value: (w) => w.waitingSeconds, width: 90 },
    { id: "on", header: "On", type: "text", value: (w) => [w.table ?? "?", w.index ? `(${w.index})` : "", w.mode ?? ""].filter(Boolean).join(" "), width: 200 },
    {
      id: "blocker",
      header: "Blocked by",
      type: "text",
      value: (w) => `session ${w.blockingThread}, open ${formatDuration(w.blockingAgeSeconds * 1000)}`,
      width: 200,
    },
    {
      id: "blockerStatement",
      header: "Blocker's statement",
      type: "text",
      value: (w) => w.blockingStatement,
      width: 260,
      render: (w) => (w.blockingStatement ? <span className="sql">{w.blockingStatement}</span> : <em className="muted">idle</em>),
    },
    { id: "actions", header: "", type: "text", value: () => null, width: 170, render: (w) => <span className="actions">{killButtons(w.blockingThread, `session ${w.blockingThread}`, w.blockingStatement)}</span> },
  ];
  // Up to 1,000 sessions: the grid draws only the rows in view.
  const processColumns: GridColumn<Session>[] = [
    { id: "id", header: "Id", type: "id", value: (x) => Number(x.id), width: 80 },
    { id: "user", header: "User", type: "text", value: (x) => x.user, width: 110 },
    { id: "host", header: "Host", type: "text", value: (x) => x.host, width: 150 },
    { id: "db", header: "Database", type: "text", value: (x) => x.db, width: 110 },
    { id: "command", header: "Command", type: "text", value: (x) => x.command, width: 90 },
    { id: "time", header: "Time", type: "seconds", value: (x) => x.seconds, width: 90 },
    { id: "state", header: "State", type: "text", value: (x) => x.state, width: 140 },
    {
      id: "statement",
      header: "Statement",
      type: "text",
      value: (x) => (x.own ? "this console" : x.statement),
      width: 320,
      render: (x) => (x.own ? <em className="muted">this console</em> : <span className="sql" title={x.statement ?? ""}>{x.statement}</span>),
    },
    {
      id: "actions",
      header: "",
      type: "text",
      value: () => null,
      width: 260,
      render: (x) => (
        <span className="actions">
          {!x.own && explainButton(x.statement)}
          {killButtons(x.id, `${x.user}@${x.host}`, x.statement, x.own)}
        </span>
      ),
    },
  ];

  const r = q.data;
  return (
    <>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          User <input data-filter="user" value={filter.user ?? ""} onChange={(e) => set({ user: text(e.target.value) })} />
        </label>
        <label>
          Host <input data-filter="host" value={filter.host ?? ""} onChange={(e) => set({ host: text(e.target.value) })} placeholder="starts with" />
        </label>
        <label>
          Database <input data-filter="db" value={filter.db ?? ""} onChange={(e) => set({ db: text(e.target.value) })} />
        </label>
        <label>
          Command
          <select data-filter="command" value={filter.command ?? ""} onChange={(e) => set({ command: text(e.target.value) })}>
            <option value="">any</option>
            <option>Query</option>
            <option>Sleep</option>
            <option>Execute</option>
            <option>Binlog Dump</option>
            <option>Connect</option>
          </select>
        </label>
        <label>
          At least (s) <input type="number" min={0} data-filter="min-seconds" value={filter.minSeconds ?? ""} onChange={(e) => set({ minSeconds: e.target.value === "" ? null : Number(e.target.value) })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={filter.hideSleeping} onChange={(e) => set({ hideSleeping: e.target.checked })} /> Hide sleeping
        </label>
        <label>
          Long transaction after (s) <input type="number" min={0} data-filter="long-after" value={longAfter} onChange={(e) => setLongAfter(Math.max(0, Number(e.target.value)))} />
        </label>
      </form>
      {q.isError && <ErrorLine error={asUiError(q.error)} />}
      {!r && q.isPending && <p className="muted">Reading the processlist…</p>}
      {r && (
        <>
          <section className="card" data-testid="long-transactions">
            <div className="card-head">
              <h2>Transactions open over {formatDuration(r.longAfterSeconds * 1000)}</h2>
              <span className={`badge ${r.longTransactions.length ? "warn" : "good"}`}>{r.longTransactions.length}</span>
            </div>
            {r.longTransactions.length === 0 ? (
              <p className="muted">None. The platform alarms on transactions open longer than 60 s (information_schema.INNODB_TRX).</p>
            ) : (
              <DataGrid label="Long transactions" columns={transactionColumns} rows={r.longTransactions} height={280} rowData={(t) => ({ "data-thread": t.threadId })} />
            )}
          </section>
          <section className="card" data-testid="lock-waits">
            <div className="card-head">
              <h2>Lock waits</h2>
              <span className={`badge ${r.lockWaits.length ? "bad" : "good"}`}>{r.lockWaits.length}</span>
            </div>
            {r.lockWaits.length === 0 ? (
              <p className="muted">Nobody waits for a row lock ({r.lockSource}).</p>
            ) : (
              <DataGrid label="Lock waits" columns={lockColumns} rows={r.lockWaits} height={280} rowData={(w) => ({ "data-blocker": w.blockingThread })} />
            )}
          </section>
          <section className="card" data-testid="processlist">
            <div className="card-head">
              <h2>Processlist</h2>
              <span className="muted">
                {r.sessions.length} session{r.sessions.length === 1 ? "" : "s"}
                {r.truncated ? " (the first 1000: filter to see the rest)" : ""}
              </span>
            </div>
            {r.sessions.length === 0 ? (
              <p className="muted">No session matches these filters.</p>
            ) : (
              <DataGrid
                label="Processlist"
                columns={processColumns}
                rows={r.sessions}
                height={420}
                sortable
                rowData={(x) => ({ "data-session": String(x.id) })}
              />
            )}
          </section>
        </>
      )}
      {kill && (
        <ConfirmDialog
          title={kill.mode === "query" ? `Kill the statement of session ${kill.id}?` : `Kill session ${kill.id}?`}
          confirmLabel={kill.mode === "query" ? "Kill query" : "Kill connection"}
          danger
          busy={busy}
          onConfirm={() => void doKill()}
          onCancel={() => setKill(null)}
        >
          <p>
            {kill.mode === "query"
              ? "KILL QUERY stops the running statement; the connection and its transaction stay."
              : "KILL drops the connection; its open transaction is rolled back and its locks are released."}{" "}
            Session of {kill.who}. Written to operation_logs.
          </p>
          {kill.statement && <pre className="prompt">{kill.statement}</pre>}
        </ConfirmDialog>
      )}
    </>
  );
}

/** The costliest statements, in the server's order (most total time first). */
function statementColumns(explainable: boolean, onExplain: (sql: string) => void): GridColumn<TopStatement>[] {
  return [
    {
      id: "statement",
      header: "Statement",
      type: "text",
      value: (s) => s.text,
      width: 420,
      render: (s) => (
        <span className="sql">
          {s.schema ? <span className="muted">{s.schema} · </span> : null}
          {s.text}
        </span>
      ),
    },
    { id: "count", header: "Count", type: "count", value: (s) => s.count, width: 80 },
    { id: "total", header: "Total", type: "seconds", value: (s) => s.totalSeconds, width: 90 },
    { id: "average", header: "Average", type: "seconds", value: (s) => s.averageSeconds, width: 90 },
    { id: "max", header: "Max", type: "seconds", value: (s) => s.maxSeconds, width: 90 },
    {
      id: "rows",
      header: "Rows examined / sent",
      type: "text",
      value: (s) => `${s.rowsExamined} / ${s.rowsSent}`,
      width: 200,
      render: (s) => (
        <span className={s.rowsSent > 0 && s.rowsExamined / s.rowsSent > 100 ? "warn-text" : ""}>
          {formatCount(s.rowsExamined)} / {formatCount(s.rowsSent)}
          {s.noIndexUsed ? <span className="badge warn"> no index ×{s.noIndexUsed}</span> : null}
        </span>
      ),
    },
    {
      id: "explain",
      header: "",
      type: "text",
      value: () => null,
      width: 90,
      render: (s) =>
        explainable && EXPLAINABLE.test(s.text) ? (
          <button type="button" data-action="explain" onClick={() => onExplain(s.text)}>
            Explain
          </button>
        ) : null,
    },
  ];
}

function TopView({ profile, onExplain }: { profile: Profile; onExplain: (sql: string) => void }) {
  const q = useQuery({ queryKey: ["top", profile.name], queryFn: () => monitorTop(profile.name, 50), refetchInterval: 10_000 });
  if (q.isError && !q.data) return <ErrorLine error={asUiError(q.error)} />;
  if (!q.data) return <p className="muted">Reading statement statistics…</p>;
  const r = q.data;
  return (
    <section className="card" data-testid="top-statements">
      <div className="card-head">
        <h2>Costliest statements</h2>
        <span className={`badge ${r.source === "none" ? "warn" : "good"}`} data-source={r.source}>
          {r.source === "performanceSchema" ? "performance_schema" : r.source === "slowLog" ? "slow log table" : "no source"}
        </span>
      </div>
      <p className={r.source === "none" ? "banner info" : "muted"}>{r.note}</p>
      {r.statements.length > 0 && (
        <DataGrid label="Costliest statements" columns={statementColumns(r.source === "slowLog", onExplain)} rows={r.statements} height={360} sortable={false} />
      )}
    </section>
  );
}

function AdvisorView({ profile }: { profile: Profile }) {
  const q = useQuery({ queryKey: ["advice", profile.name], queryFn: () => monitorAdvice(profile.name) });
  if (q.isError) return <ErrorLine error={asUiError(q.error)} />;
  if (!q.data) return <p className="muted">Reading the server's settings…</p>;
  const differs = q.data.filter((a) => a.verdict === "differs").length;
  return (
    <section className="card" data-testid="advisor">
      <div className="card-head">
        <h2>Settings against the platform's recommendations</h2>
        <span className={`badge ${differs ? "warn" : "good"}`}>{differs ? `${differs} differ` : "all as recommended"}</span>
      </div>
      <table className="mini">
        <thead>
          <tr>
            <th>Server</th>
            <th>Setting</th>
            <th>Now</th>
            <th>Recommended</th>
            <th />
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {q.data.map((a) => (
            <tr key={`${a.server}-${a.setting}`} data-setting={a.setting}>
              <td>{a.server === "mysql" ? "MySQL" : "Redis"}</td>
              <td>
                <code>{a.setting}</code>
              </td>
              <td data-testid="current">{a.current}</td>
              <td>{a.recommended}</td>
              <td>
                <span className={`badge ${a.verdict === "ok" ? "good" : a.verdict === "differs" ? "warn" : ""}`}>{a.verdict}</span>
              </td>
              <td className="muted">{a.why}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
