import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { applyMigrations, asUiError, cancelJob, isConnectionLoss, loadOverview } from "../../api";
import type { JobEvent } from "../../bindings/JobEvent";
import type { TableFigures } from "../../bindings/TableFigures";
import type { UiError } from "../../bindings/UiError";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { useToasts } from "../../components/Toasts";
import { HostKeyPrompt } from "../../components/HostKeyPrompt";
import { formatBytes } from "../../format";

const TABLE_COLUMNS: GridColumn<TableFigures>[] = [
  { id: "table", header: "Table", type: "text", value: (t) => t.table, width: 240 },
  {
    id: "rows",
    header: "Rows",
    type: "count",
    // Big tables show InnoDB's estimate rather than a COUNT(*) on every refresh.
    value: (t) => (t.rows === null ? null : `${t.rowsExact ? "" : "≈ "}${t.rows.toLocaleString("en-US")}`),
    width: 140,
  },
  { id: "data", header: "Data", type: "bytes", value: (t) => t.dataBytes, width: 120 },
  { id: "index", header: "Indexes", type: "bytes", value: (t) => t.indexBytes, width: 120 },
];

type Job = { id: string | null; done: number; total: number; label: string };

export function OverviewScreen({ profile }: { profile: string }) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const overview = useQuery({
    queryKey: ["overview", profile],
    queryFn: () => loadOverview(profile),
    // Connection loss shows as a banner and heals by itself: retry faster while it lasts.
    refetchInterval: (q) => {
      const d = q.state.data;
      return d && (isConnectionLoss(d.databaseError) || isConnectionLoss(d.redisError)) ? 3000 : 15000;
    },
  });
  const [job, setJob] = useState<Job | null>(null);

  const migrate = () => {
    setJob({ id: null, done: 0, total: 0, label: "starting…" });
    const onEvent = (e: JobEvent) => {
      if (e.event === "started") setJob((j) => j && { ...j, total: e.total });
      if (e.event === "step") setJob((j) => j && { ...j, done: e.done, total: e.total, label: e.label });
      if (e.event === "finished" || e.event === "failed") {
        setJob(null);
        if (e.event === "failed") toasts.error(e.error);
        else toasts.info("Schema up to date", `${e.done} migration(s) applied`);
        void queryClient.invalidateQueries({ queryKey: ["overview", profile] });
      }
    };
    applyMigrations(profile, onEvent).then(
      (id) => setJob((j) => j && { ...j, id }),
      (e) => {
        setJob(null);
        toasts.error(asUiError(e));
      },
    );
  };

  if (overview.isPending) return <p className="muted">Loading the overview of {profile}…</p>;
  if (overview.isError) return <ErrorPanel error={asUiError(overview.error)} />;
  const o = overview.data;
  const db = o.database;
  const pending = db?.migrations.filter((m) => !m.applied) ?? [];
  const lost = [o.databaseError, o.redisError].filter(isConnectionLoss) as UiError[];

  return (
    <div className="overview" data-profile={profile}>
      {lost.length > 0 && (
        <div className="banner" role="alert">
          Connection lost — {lost.map((e) => e.message).join("; ")}. Retrying every 3 s; everything else keeps working.
        </div>
      )}
      <div className="cards">
        <section className="card stat" aria-label="Database">
          <h2>Database</h2>
          {db ? (
            <>
              <p className="big" data-testid="db-version">
                {db.server.flavour === "mariadb" ? "MariaDB" : "MySQL"} {db.server.version}
              </p>
              <p className="muted">
                {db.server.address} · {db.database} · {formatBytes(db.sizeBytes)}
              </p>
            </>
          ) : (
            o.databaseError && <ErrorLine error={o.databaseError} />
          )}
        </section>
        <section className="card stat" aria-label="Redis">
          <h2>Redis</h2>
          {o.redis ? (
            <>
              <p className="big">Redis {o.redis.server.version}</p>
              <p className="muted">
                {o.redis.server.address} · {o.redis.server.role} · {formatBytes(o.redis.usedMemoryBytes)} used ·{" "}
                <span data-testid="redis-keys">{o.redis.keys.toLocaleString("en-US")}</span> keys
              </p>
            </>
          ) : o.redisError ? (
            <ErrorLine error={o.redisError} />
          ) : (
            <p className="muted">This profile has no Redis.</p>
          )}
        </section>
        <section className="card stat" aria-label="Schema">
          <h2>Schema</h2>
          {!db && <p className="muted">Unknown while the database cannot be reached.</p>}
          {db && (
            <>
              <p className="big" data-testid="schema-state">
                {pending.length === 0 ? "Up to date" : `${pending.length} migration(s) pending`}
              </p>
              <p className="muted">
                {db.migrations.length - pending.length} of {db.migrations.length} applied
              </p>
              {pending.length > 0 && o.canMigrate && !job && (
                <button type="button" className="primary" onClick={migrate}>
                  Apply migrations
                </button>
              )}
              {pending.length > 0 && !o.canMigrate && (
                <p className="muted">Applying migrations needs an operator profile that is not read-only.</p>
              )}
              {job && (
                <div className="job">
                  <progress max={Math.max(job.total, 1)} value={job.done} aria-label="Migration progress" />
                  <span className="muted">{job.label}</span>
                  {job.id && (
                    <button type="button" onClick={() => job.id && void cancelJob(job.id)}>
                      Cancel
                    </button>
                  )}
                </div>
              )}
            </>
          )}
        </section>
      </div>
      {db && (
        <section className="card">
          <h2>MindPal tables</h2>
          <DataGrid
            label="MindPal tables"
            columns={TABLE_COLUMNS}
            rows={db.tables}
            onCopy={(what) => toasts.info(`Copied the ${what}`)}
          />
        </section>
      )}
    </div>
  );
}

/** One error in words; an unknown SSH host key also offers to trust it (unless the caller shows that once for several). */
export function ErrorLine({ error, hostKeyPrompt = true }: { error: UiError; hostKeyPrompt?: boolean }) {
  if (error.hostKey) {
    return (
      <span className="error" role="alert" data-kind={error.kind}>
        <strong>{error.kind}</strong> {hostKeyPrompt ? error.message : "the bastion's host key is not trusted yet"}
        {hostKeyPrompt && <HostKeyPrompt fingerprint={error.hostKey} />}
      </span>
    );
  }
  return (
    <span className="error" role="alert" data-kind={error.kind}>
      <strong>{error.kind}</strong> {error.message}
    </span>
  );
}

function ErrorPanel({ error }: { error: UiError }) {
  return (
    <div className="card">
      <ErrorLine error={error} />
    </div>
  );
}
