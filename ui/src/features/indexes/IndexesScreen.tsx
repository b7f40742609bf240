// Index health of a live database: redundant, unused and missing indexes, each with the DDL
// that fixes it (shown and copied, never run by the console).
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, indexReport, listDatabases } from "../../api";
import type { IndexFinding } from "../../bindings/IndexFinding";
import type { IndexIssue } from "../../bindings/IndexIssue";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";

const ISSUE: Record<IndexIssue, { label: string; tone: "bad" | "warn" }> = {
  noPrimaryKey: { label: "no primary key", tone: "bad" },
  redundant: { label: "redundant", tone: "warn" },
  uniqueOverNullable: { label: "unique over NULLs", tone: "bad" },
  foreignKeyWithoutIndex: { label: "foreign key without index", tone: "bad" },
  unused: { label: "unused", tone: "warn" },
};

/** A finding per row: what is wrong, where, why, and the DDL that fixes it (copied, never run). */
function findingColumns(copy: (text: string) => void): GridColumn<IndexFinding>[] {
  return [
    { id: "issue", header: "Issue", type: "text", value: (f) => ISSUE[f.issue].label, width: 130, render: (f) => <span className={`badge ${ISSUE[f.issue].tone}`}>{ISSUE[f.issue].label}</span> },
    { id: "table", header: "Table", type: "text", value: (f) => f.table, width: 150 },
    {
      id: "index",
      header: "Index",
      type: "text",
      value: (f) => f.index,
      width: 190,
      render: (f) => (
        <>
          {f.index && <code>{f.index}</code>} <span className="muted">{f.columns.join(", ")}</span>
        </>
      ),
    },
    { id: "why", header: "Why", type: "text", value: (f) => f.detail, width: 320 },
    {
      id: "fix",
      header: "Fix (shown, not run)",
      type: "text",
      value: (f) => f.ddl,
      width: 330,
      render: (f) => (
        <>
          <pre className="ddl">{f.ddl}</pre>
          <button type="button" onClick={() => copy(f.ddl)}>
            Copy
          </button>
        </>
      ),
    },
  ];
}

/** The counting window, roughly: `3 days`, `5 hours`, `12 minutes`. */
function counted(seconds: number): string {
  if (seconds >= 172800) return `${Math.floor(seconds / 86400)} days`;
  if (seconds >= 7200) return `${Math.floor(seconds / 3600)} hours`;
  return `${Math.max(1, Math.floor(seconds / 60))} minutes`;
}

export function IndexesScreen({ profile }: { profile: Profile }) {
  const [database, setDatabase] = useState<string | null>(profile.mysql.database ?? null);
  const toasts = useToasts();
  const databases = useQuery({ queryKey: ["databases", profile.name], queryFn: () => listDatabases(profile.name) });
  const report = useQuery({
    queryKey: ["index-report", profile.name, database],
    queryFn: () => indexReport(profile.name, database),
  });
  const copy = (text: string) => {
    void navigator.clipboard?.writeText(text);
    toasts.info("Copied", text);
  };
  const r = report.data;
  return (
    <div className="indexes">
      <div className="searchbar">
        <label className="muted" htmlFor="index-db">
          Database
        </label>
        <select id="index-db" name="database" value={database ?? ""} onChange={(e) => setDatabase(e.target.value || null)}>
          {!database && <option value="">the profile's</option>}
          {(databases.data ?? (database ? [database] : [])).map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <button type="button" data-action="refresh-indexes" disabled={report.isFetching} onClick={() => void report.refetch()}>
          {report.isFetching ? "Reading…" : "Check again"}
        </button>
      </div>
      {report.isPending && <p className="muted">Reading information_schema…</p>}
      {report.isError && (
        <div className="card">
          <ErrorLine error={asUiError(report.error)} />
        </div>
      )}
      {r && (
        <div data-testid="index-report" data-database={r.database}>
          <div className="list-status">
            <strong>{r.database}</strong>
            <span>{r.tables} tables</span>
            <span>{r.indexes} indexes</span>
            <span>
              {r.findings.length} finding{r.findings.length === 1 ? "" : "s"}
            </span>
          </div>
          <div className={`banner ${r.usage.source === "unavailable" ? "" : "info"}`} data-testid="usage-source">
            {r.usage.source === "indexStatistics" && (
              <span>Unused indexes come from MariaDB's INDEX_STATISTICS (userstat is on): reads counted over {counted(r.countedSeconds)} at most.</span>
            )}
            {r.usage.source === "performanceSchema" && (
              <span>Unused indexes come from performance_schema's index I/O counters: reads counted over {counted(r.countedSeconds)} at most.</span>
            )}
            {r.usage.source === "unavailable" && (
              <span>
                The server cannot tell which indexes are unused: {r.usage.why}. To count them: <code>{r.usage.enable}</code>
              </span>
            )}
          </div>
          {r.findings.length === 0 ? (
            <p className="ok">No redundant or missing indexes found.</p>
          ) : (
            <DataGrid
              label="Index findings"
              columns={findingColumns(copy)}
              rows={r.findings}
              height={520}
              wrap
              rowData={(f) => ({ "data-issue": f.issue, "data-table": f.table, "data-index": f.index ?? "" })}
            />
          )}
        </div>
      )}
    </div>
  );
}
