// The EXPLAIN workbench: write or pick a statement, see its plan as a tree and a table, get
// warnings with rewrites and index DDL; or read a plan from elsewhere without a connection.
import { useCallback, useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, cancelJob, explainPlan, explainStatement, hotQueries, may, newJobId, schemaHealth, schemaNames } from "../../api";
import type { ExplainReport } from "../../bindings/ExplainReport";
import type { HealthEntry } from "../../bindings/HealthEntry";
import type { HealthReport } from "../../bindings/HealthReport";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import type { PlanNode } from "../../bindings/PlanNode";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { UiError } from "../../bindings/UiError";
import { ErrorLine } from "../overview/OverviewScreen";
import { ClassicTable, Findings, PlanTree, severity } from "./PlanView";
import { TryIndex } from "./TryIndex";
import type { SuggestedIndex } from "../../bindings/SuggestedIndex";
import { SqlEditor } from "./SqlEditor";
import { draft, type HistoryItem } from "./draft";

const HISTORY_SIZE = 30;

export function ExplainScreen({ profile }: { profile: Profile }) {
  const [sql, setSql] = useState(() => draft.sql);
  const [analyze, setAnalyze] = useState(false);
  const [mode, setMode] = useState<"statement" | "plan">("statement");
  const [pasted, setPasted] = useState("");
  const [view, setView] = useState<"tree" | "table">("tree");
  const [report, setReport] = useState<ExplainReport | null>(null);
  // The suggested index being tried on a copy, for the report shown.
  const [trying, setTrying] = useState<SuggestedIndex | null>(null);
  const [health, setHealth] = useState<HealthReport | null>(null);
  const [healthStep, setHealthStep] = useState<{ done: number; total: number } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [history, setHistory] = useState<HistoryItem[]>(() => draft.history);
  const hot = useQuery({ queryKey: ["hot-queries"], queryFn: hotQueries, staleTime: Infinity });
  const names = useQuery({ queryKey: ["schema-names", profile.name], queryFn: () => schemaNames(profile.name), staleTime: 60_000 });
  const canAnalyze = may(profile, "analyze");

  useEffect(() => {
    draft.sql = sql;
  }, [sql]);

  const remember = (text: string, analyzed: boolean) => {
    setHistory((h) => {
      const next = [{ sql: text, at: new Date().toISOString(), analyze: analyzed }, ...h.filter((x) => x.sql !== text)].slice(0, HISTORY_SIZE);
      draft.history = next;
      return next;
    });
  };

  const run = useCallback(
    async (text: string, withAnalyze: boolean) => {
      if (!text.trim()) return;
      const id = newJobId("explain");
      setJob(id);
      setError(null);
      setHealth(null);
      try {
        const r = await explainStatement(profile.name, text, { analyze: withAnalyze, timeLimitMs: null }, id);
        setReport(r);
        setTrying(null);
        remember(text, withAnalyze);
      } catch (e) {
        setReport(null);
        setTrying(null);
        setError(asUiError(e));
      } finally {
        setJob(null);
      }
    },
    [profile.name],
  );

  const explainNow = () => void run(sql, analyze && canAnalyze);
  const explainText = (text: string) => {
    setMode("statement");
    setSql(text);
    void run(text, false);
  };

  const readPlan = async (text: string) => {
    setError(null);
    setHealth(null);
    try {
      setReport(await explainPlan(text));
      setTrying(null);
    } catch (e) {
      setReport(null);
      setTrying(null);
      setError(asUiError(e));
    }
  };

  const runHealth = async () => {
    const id = newJobId("health");
    setJob(id);
    setError(null);
    setReport(null);
    setTrying(null);
    setHealthStep({ done: 0, total: hot.data?.length ?? 0 });
    try {
      setHealth(
        await schemaHealth(profile.name, id, (e) => {
          if (e.event === "step") setHealthStep({ done: e.done, total: e.total });
        }),
      );
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setJob(null);
      setHealthStep(null);
    }
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    const text = await file.text();
    setPasted(text);
    void readPlan(text);
  };

  return (
    <div className="explain">
      <aside className="explain-side">
        <h3>Hot queries of the platform</h3>
        {hot.isPending && <p className="muted">Loading…</p>}
        <ul className="hot-list">
          {(hot.data ?? []).map((q) => (
            <li key={q.id}>
              <button type="button" className="link" data-hot={q.id} title={q.sql} onClick={() => explainText(q.sql)}>
                {q.title}
              </button>
              <span className="muted">{q.context}</span>
            </li>
          ))}
        </ul>
        <button type="button" data-action="schema-health" disabled={!!job} onClick={() => void runHealth()}>
          Schema health: explain them all
        </button>
        <h3>History</h3>
        {history.length === 0 && <p className="muted">Statements you explain appear here.</p>}
        <ul className="hot-list">
          {history.map((h) => (
            <li key={h.at + h.sql}>
              <button type="button" className="link history-item" title={h.sql} onClick={() => setSql(h.sql)}>
                {h.sql.length > 70 ? `${h.sql.slice(0, 70)}…` : h.sql}
              </button>
              <span className="muted">
                {h.at.slice(0, 16).replace("T", " ")}
                {h.analyze ? " · analyzed" : ""}
              </span>
            </li>
          ))}
        </ul>
      </aside>
      <section className="explain-main">
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === "statement"} className={mode === "statement" ? "active" : ""} onClick={() => setMode("statement")}>
            Statement
          </button>
          <button type="button" role="tab" aria-selected={mode === "plan"} data-action="plan-mode" className={mode === "plan" ? "active" : ""} onClick={() => setMode("plan")}>
            A plan from elsewhere
          </button>
        </div>
        {mode === "statement" ? (
          <>
            <SqlEditor value={sql} onChange={setSql} onRun={explainNow} schema={names.data} />
            <div className="explain-bar">
              <button type="button" className="primary" data-action="explain" disabled={!!job || !sql.trim()} onClick={explainNow}>
                {analyze && canAnalyze ? "Analyze" : "Explain"} <kbd>Ctrl ↵</kbd>
              </button>
              {canAnalyze && (
                <label className="check-inline">
                  <input type="checkbox" name="analyze" checked={analyze} onChange={(e) => setAnalyze(e.target.checked)} />
                  Run it (ANALYZE): read-only statements, in a transaction rolled back, stopped after 10 s
                </label>
              )}
              {job && (
                <>
                  <span className="muted">{healthStep ? `Explaining ${healthStep.done} of ${healthStep.total}…` : "Running…"}</span>
                  <button type="button" data-action="cancel" onClick={() => void cancelJob(job)}>
                    Cancel
                  </button>
                </>
              )}
            </div>
          </>
        ) : (
          <div className="paste">
            <p className="muted">
              Paste or open a plan: MySQL 8.0–9.x <code>EXPLAIN FORMAT=JSON</code> (versions 1 and 2), MySQL <code>EXPLAIN ANALYZE</code> / <code>FORMAT=TREE</code> text,
              MariaDB <code>EXPLAIN</code>/<code>ANALYZE FORMAT=JSON</code>, or the classic table. Nothing is sent to any server.
            </p>
            <textarea name="plan" rows={10} value={pasted} onChange={(e) => setPasted(e.target.value)} placeholder='{"query_block": …}' spellCheck={false} />
            <div className="explain-bar">
              <button type="button" className="primary" data-action="read-plan" disabled={!pasted.trim()} onClick={() => void readPlan(pasted)}>
                Read the plan
              </button>
              <label className="file-open">
                Open a file… <input type="file" accept=".json,.txt,.log" onChange={(e) => void onFile(e.target.files?.[0])} />
              </label>
            </div>
          </div>
        )}
        {healthStep && <progress max={healthStep.total || 1} value={healthStep.done} aria-label="Schema health progress" />}
        {error && (
          <div className="card explain-error">
            <ErrorLine error={error} />
          </div>
        )}
        {report && (
          <ReportView
            report={report}
            view={view}
            setView={setView}
            onExplain={mode === "statement" || report.server ? explainText : undefined}
            onTry={report.server && report.sql && may(profile, "tryIndex") ? setTrying : undefined}
          />
        )}
        {report?.sql && trying && (
          <TryIndex
            key={`${trying.table}(${trying.columns.join(",")}) ${report.sql}`}
            profile={profile}
            sql={report.sql}
            index={trying}
            analyze={report.plan.analyzed && canAnalyze}
            onClose={() => setTrying(null)}
          />
        )}
        {health && <HealthView health={health} onOpen={explainText} />}
        {!report && !error && !health && !job && (
          <div className="empty">
            <h2>See why a query is slow</h2>
            <p className="muted">
              Write a statement above or pick a hot query of the platform. Statements are parsed and guarded first: one SELECT (or, for a plan only, one INSERT, UPDATE or
              DELETE); nothing is written.
            </p>
          </div>
        )}
      </section>
    </div>
  );
}

function ReportView({
  report,
  view,
  setView,
  onExplain,
  onTry,
}: {
  report: ExplainReport;
  view: "tree" | "table";
  setView: (v: "tree" | "table") => void;
  onExplain?: (sql: string) => void;
  onTry?: (index: SuggestedIndex) => void;
}) {
  return (
    <div className="report" data-testid="explain-report" data-source={report.plan.source}>
      <div className="list-status">
        <strong>{report.plan.source === "mariaDbJson" ? "MariaDB" : report.plan.source.startsWith("mySql") ? "MySQL" : "Plan"}</strong>
        <span>{report.server ?? "read without a connection"}</span>
        {report.plan.analyzed && <span className="badge warn">analyzed: run, then rolled back</span>}
        <span>{report.elapsedMs.toFixed(1)} ms</span>
        {report.tableSizes.map((t) => (
          <span key={t.table}>
            {t.table} ≈ {t.rows.toLocaleString("en-US", { maximumFractionDigits: 0 })} rows
          </span>
        ))}
      </div>
      {report.notes.map((n) => (
        <p key={n} className="muted">
          {n}
        </p>
      ))}
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={view === "tree"} data-action="view-tree" className={view === "tree" ? "active" : ""} onClick={() => setView("tree")}>
          Tree
        </button>
        <button type="button" role="tab" aria-selected={view === "table"} data-action="view-table" className={view === "table" ? "active" : ""} onClick={() => setView("table")}>
          Table
        </button>
      </div>
      {view === "tree" ? <PlanTree root={report.plan.root} /> : <ClassicTable rows={report.classic} />}
      <h3>Lint</h3>
      <Findings findings={report.findings} onExplain={onExplain} onTry={onTry} />
    </div>
  );
}

function HealthView({ health, onOpen }: { health: HealthReport; onOpen: (sql: string) => void }) {
  return (
    <div className="report" data-testid="schema-health">
      <div className="list-status">
        <strong>Schema health</strong>
        <span>{health.entries.length} hot queries</span>
        <span>{health.warnings} warnings</span>
        <span>{health.elapsedMs.toFixed(0)} ms</span>
      </div>
      <DataGrid label="Hot queries" columns={healthColumns(onOpen)} rows={health.entries} height={420} wrap sortable={false} rowData={(e) => ({ "data-health-of": e.query.id })} />
    </div>
  );
}

/** A hot query per row: how each of its tables is read, and what the plan warns of. */
function healthColumns(onOpen: (sql: string) => void): GridColumn<HealthEntry>[] {
  return [
    {
      id: "query",
      header: "Query",
      type: "text",
      value: (e) => e.query.title,
      width: 260,
      render: (e) => (
        <button type="button" className="link" onClick={() => onOpen(e.query.sql)}>
          {e.query.title}
        </button>
      ),
    },
    {
      id: "access",
      header: "Access",
      type: "text",
      value: (e) => (e.report?.plan.root ? collectTables(e.report.plan.root).map((t) => t.table ?? t.label).join(", ") : null),
      width: 300,
      render: (e) => (
        <>
          {e.report?.plan.root &&
            collectTables(e.report.plan.root).map((t, i) => (
              <span key={i} className={`access sev-${severity(t.access)}`} title={t.message ?? t.table ?? ""}>
                {t.table ?? t.label}
              </span>
            ))}
          {e.error && <ErrorLine error={{ ...e.error, fields: [] }} />}
        </>
      ),
    },
    {
      id: "warnings",
      header: "Warnings",
      type: "text",
      value: (e) => e.report?.findings.map((f) => f.title).join("; ") ?? null,
      width: 360,
      render: (e) => (
        <>
          {e.report && e.report.findings.length === 0 && <span className="ok">none</span>}
          {e.report?.findings.map((f, i) => (
            <div key={i} className={f.level === "bad" ? "error" : ""}>
              {f.title}
            </div>
          ))}
        </>
      ),
    },
  ];
}

function collectTables(node: PlanNode): PlanNode[] {
  const own = node.kind === "table" ? [node] : [];
  return own.concat(...node.children.map(collectTables));
}
