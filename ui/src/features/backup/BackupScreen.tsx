// Backups: start one (consistent, parallel, checksummed) and watch it, the catalog of a folder
// with verify / restore / prune, the point-in-time recovery command, and Redis persistence.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { asUiError, backupFolder, cancelJob, listBackups, may, newJobId, pruneBackups, redisPersist, redisPersistence, restoreBackup, startBackup, verifyBackup } from "../../api";
import type { BackupEntry } from "../../bindings/BackupEntry";
import type { BackupProgress } from "../../bindings/BackupProgress";
import type { Persistence } from "../../bindings/Persistence";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { PruneReport } from "../../bindings/PruneReport";
import type { RestoreReport } from "../../bindings/RestoreReport";
import type { UiError } from "../../bindings/UiError";
import type { VerifyReport } from "../../bindings/VerifyReport";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { PointInTime } from "./PointInTime";
import { ProgressLine, type Running } from "./ProgressLine";
import { formatBytes, formatCount, formatDuration, plural } from "../../format";
import type { TableCheck } from "../../bindings/TableCheck";
import type { TableVerify } from "../../bindings/TableVerify";

export function BackupScreen({ profile }: { profile: Profile }) {
  const operator = may(profile, "backup");
  const canRestore = may(profile, "restore");
  const toasts = useToasts();
  const defaultFolder = useQuery({ queryKey: ["backupFolder"], queryFn: backupFolder, staleTime: Infinity });
  // What the field shows, and the folder the catalog reads (taken when the field is left).
  const [typed, setTyped] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const folder = chosen ?? defaultFolder.data ?? "";
  const [jobs, setJobs] = useState(4);
  const catalog = useQuery({ queryKey: ["backups", folder], queryFn: () => listBackups(folder), enabled: !!folder });
  const entries: BackupEntry[] | null = catalog.data ?? null;
  const listError: UiError | null = catalog.error ? asUiError(catalog.error) : defaultFolder.error ? asUiError(defaultFolder.error) : null;
  const refresh = () => void catalog.refetch();
  const [running, setRunning] = useState<Running | null>(null);
  const [finished, setFinished] = useState<Running | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [verified, setVerified] = useState<Record<string, VerifyReport>>({});
  const [restoreInto, setRestoreInto] = useState("");
  const [replace, setReplace] = useState(false);
  // Restoring over the database this profile works on needs its name typed again.
  const liveDatabase = profile.mysql.database ?? null;
  const intoLive = !!liveDatabase && restoreInto.trim().toLowerCase() === liveDatabase.toLowerCase();
  const [typedLiveName, setTypedLiveName] = useState("");
  const liveConfirmed = intoLive && typedLiveName === liveDatabase;
  const [restored, setRestored] = useState<RestoreReport | null>(null);
  // A refused or failed restore stays beside the backup it was about, until the next attempt.
  const [restoreError, setRestoreError] = useState<{ path: string; error: UiError } | null>(null);
  const [keepDays, setKeepDays] = useState(7);
  const [prunePlan, setPrunePlan] = useState<PruneReport | null>(null);

  const backUp = async () => {
    const job = newJobId("backup");
    setRunning({ job, what: "Backup", progress: null });
    setFinished(null);
    let last: BackupProgress | null = null;
    try {
      const done = await startBackup(profile.name, folder, jobs, job, (p) => {
        last = p;
        setRunning((r) => (r && r.job === job ? { ...r, progress: p } : r));
      });
      setFinished({ job, what: "Backup", progress: last });
      const m = done.manifest;
      toasts.info("Backup complete", `${m.tables.length} tables, ${m.tables.reduce((n, t) => n + t.rows, 0).toLocaleString()} rows in ${formatDuration(done.seconds * 1000)}: ${done.path}`);
      setOpen(done.path.split("/").pop() ?? null);
    } catch (e) {
      const err = asUiError(e);
      if (err.kind === "cancelled") toasts.info("Backup cancelled", "The partial folder was removed; nothing looks complete.");
      else toasts.error(err);
    } finally {
      setRunning(null);
      refresh();
    }
  };

  const verify = async (e: BackupEntry) => {
    try {
      const r = await verifyBackup(e.path);
      setVerified((v) => ({ ...v, [e.name]: r }));
    } catch (err) {
      toasts.error(asUiError(err));
    }
  };

  const restore = async (e: BackupEntry) => {
    if (replace && !intoLive && !window.confirm(`Drop the database \`${restoreInto}\` and restore ${e.name} in its place?`)) return;
    const job = newJobId("restore");
    setRunning({ job, what: "Restore", progress: null });
    setRestored(null);
    setRestoreError(null);
    try {
      const r = await restoreBackup(profile.name, e.path, { into: restoreInto, replace: replace || liveConfirmed, replaceLiveDatabase: liveConfirmed, jobs, until: null }, job, (p) =>
        setRunning((x) => (x && x.job === job ? { ...x, progress: p } : x)),
      );
      setRestored(r);
      toasts.info(r.ok ? "Restore verified" : "Restore differs", `${r.database} in ${formatDuration(r.seconds * 1000)}`);
    } catch (err) {
      const error = asUiError(err);
      if (error.kind === "cancelled") toasts.info("Restore cancelled", "The database it was creating was dropped.");
      else setRestoreError({ path: e.path, error });
    } finally {
      setRunning(null);
    }
  };

  const prune = async (dryRun: boolean) => {
    try {
      const r = await pruneBackups(profile.name, folder, keepDays, dryRun);
      setPrunePlan(dryRun ? r : null);
      if (!dryRun) toasts.info("Pruned", `${r.removed.length} removed, ${r.kept.length} kept`);
      refresh();
    } catch (err) {
      toasts.error(asUiError(err));
    }
  };

  // A year of nightly backups is hundreds of rows: the grid draws those in view.
  const catalogColumns: GridColumn<BackupEntry>[] = [
    { id: "name", header: "Backup", type: "text", value: (e) => e.name, width: 220 },
    {
      id: "open",
      header: "",
      type: "text",
      value: () => null,
      width: 76,
      render: (e) =>
        e.state === "complete" && (
          <button type="button" data-action="open-backup" onClick={() => setOpen(open === e.name ? null : e.name)}>
            {open === e.name ? "Close" : "Open"}
          </button>
        ),
    },
    {
      id: "state",
      header: "State",
      type: "text",
      value: (e) => e.state,
      width: 90,
      render: (e) => (
        <span className={`badge ${e.state === "complete" ? "good" : e.state === "partial" ? "warn" : "bad"}`} title={e.problem ?? undefined}>
          {e.state}
        </span>
      ),
    },
    { id: "finished", header: "Finished", type: "text", value: (e) => (e.finishedAt ? new Date(e.finishedAt).toLocaleString() : null), width: 180 },
    { id: "tables", header: "Tables", type: "count", value: (e) => e.tables, width: 70 },
    { id: "rows", header: "Rows", type: "count", value: (e) => e.rows, width: 100 },
    {
      id: "size",
      header: "Size",
      type: "bytes",
      value: (e) => e.compressedBytes,
      width: 160,
      render: (e) => (
        <>
          {formatBytes(e.compressedBytes)}
          {e.bytes > 0 && <span className="muted"> of {formatBytes(e.bytes)}</span>}
        </>
      ),
    },
    { id: "binlog", header: "Binlog", type: "text", value: (e) => (e.binlogFile ? `${e.binlogFile}:${e.binlogPosition}` : null), width: 190 },
  ];

  return (
    <div className="stack">
      <section className="card">
        <div className="card-head">
          <h2>Back up {profile.mysql.database ?? "the database"}</h2>
        </div>
        <div className="filters">
          <label>
            Folder
            <input
              data-testid="backup-folder"
              value={typed ?? folder}
              size={48}
              onChange={(e) => setTyped(e.target.value)}
              onBlur={() => typed != null && setChosen(typed.trim())}
              onKeyDown={(e) => e.key === "Enter" && typed != null && setChosen(typed.trim())}
            />
          </label>
          <label>
            Connections
            <select value={jobs} onChange={(e) => setJobs(Number(e.target.value))}>
              {[1, 2, 3, 4, 6, 8].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          {operator ? (
            <button type="button" className="primary" data-action="start-backup" disabled={!!running || !folder} onClick={() => void backUp()}>
              Back up now
            </button>
          ) : (
            <span className="muted">Backups and restores need an operator profile that is not read-only.</span>
          )}
        </div>
        <p className="muted">
          One consistent snapshot (commits blocked only while the connections open it), tables split by primary key and dumped in parallel, zstd, every
          file checksummed. Written under a temporary name, renamed when complete.
        </p>
        {running && <ProgressLine run={running} onCancel={() => void cancelJob(running.job)} />}
        {!running && finished && <ProgressLine run={finished} />}
      </section>

      <section className="card">
        <div className="card-head">
          <h2>Backups in this folder</h2>
          <div className="actions">
            <button type="button" data-action="refresh-backups" onClick={refresh}>
              Refresh
            </button>
            {operator && (
              <>
                <label className="check-inline">
                  keep
                  <input type="number" min={0} max={3650} value={keepDays} style={{ width: 60 }} onChange={(e) => setKeepDays(Number(e.target.value))} />
                  days
                </label>
                <button type="button" onClick={() => void prune(true)} disabled={!entries?.length}>
                  Prune…
                </button>
              </>
            )}
          </div>
        </div>
        {prunePlan && (
          <div className="banner info">
            <span>
              {prunePlan.removed.length
                ? `Would remove ${prunePlan.removed.join(", ")}; keeps ${prunePlan.kept.length}.`
                : `Nothing is older than ${prunePlan.keepDays} days (the newest complete backup always stays).`}
            </span>
            <span className="actions">
              {prunePlan.removed.length > 0 && (
                <button type="button" className="danger" onClick={() => void prune(false)}>
                  Remove {prunePlan.removed.length}
                </button>
              )}
              <button type="button" onClick={() => setPrunePlan(null)}>
                Close
              </button>
            </span>
          </div>
        )}
        {listError && <ErrorLine error={listError} />}
        {catalog.isPending && !listError && <p className="muted">Reading the folder…</p>}
        {entries?.length === 0 && <p className="muted">No backups here yet.</p>}
        {entries && entries.length > 0 && (
          <div data-testid="backup-catalog">
            <DataGrid
              label="Backups"
              columns={catalogColumns}
              rows={entries}
              height={320}
              sortable={false}
              rowData={(e) => ({ "data-backup": e.name })}
            />
          </div>
        )}
        {entries
          ?.filter((e) => e.name === open && e.state === "complete")
          .map((e) => (
            <div className="report" key={e.name} data-testid="backup-detail">
              <h3>{e.name}</h3>
              <p className="muted">
                `{e.database}` from {e.server}
                {e.seconds != null ? `, taken in ${formatDuration(e.seconds * 1000)}` : ""}
                {e.gtid ? `, GTID ${e.gtid}` : ""}
              </p>
              <p data-testid="backup-made-by" className={e.madeBy ? undefined : "muted"}>
                {e.madeBy
                  ? `Made by ${e.madeBy.operator} on ${e.madeBy.host} with ${e.tool ?? "an unknown tool"}.`
                  : `Who made it is not recorded (written by ${e.tool ?? "an unknown tool"}).`}{" "}
                A restore runs only the table definitions and row values it parses from this folder; anything else refuses the
                whole restore before a database is created.
              </p>
              <div className="actions" style={{ justifyContent: "flex-start" }}>
                <button type="button" data-action="verify-backup" onClick={() => void verify(e)}>
                  Verify checksums
                </button>
              </div>
              {verified[e.name] && (
                <div data-testid="verify-report" data-ok={String(verified[e.name].ok)}>
                  <DataGrid label="Checksums by table" columns={VERIFY_COLUMNS} rows={verified[e.name].tables} height={300} rowData={(t) => ({ "data-table": t.table })} />
                </div>
              )}
              {canRestore && (
                <div className="filters">
                  <label>
                    Restore into database
                    <input value={restoreInto} data-testid="restore-into" placeholder={`${e.database ?? "mindpal"}_restored`} onChange={(x) => setRestoreInto(x.target.value)} />
                  </label>
                  <label>
                    <input type="checkbox" checked={replace} onChange={(x) => setReplace(x.target.checked)} /> replace it if it exists
                  </label>
                  <button
                    type="button"
                    data-action="restore-backup"
                    disabled={!restoreInto || !!running || (intoLive && !liveConfirmed)}
                    onClick={() => void restore(e)}
                  >
                    Restore and verify
                  </button>
                </div>
              )}
              {canRestore && intoLive && (
                <div className="banner error" data-testid="restore-live-warning">
                  <p>
                    <strong>{liveDatabase}</strong> is the live database this profile works on: a restore drops it, and every row
                    written since the backup (operation logs too) is lost. Restore into another name and compare first. To replace
                    it anyway, type its name:
                  </p>
                  <input
                    data-testid="restore-live-confirm"
                    value={typedLiveName}
                    placeholder={liveDatabase ?? ""}
                    onChange={(x) => setTypedLiveName(x.target.value)}
                  />
                </div>
              )}
              {restoreError && restoreError.path === e.path && (
                <div className="banner error" data-testid="restore-error">
                  <ErrorLine error={restoreError.error} />
                </div>
              )}
              {restored && restored.backup === e.path && (
                <div data-testid="restore-report" data-ok={String(restored.ok)}>
                  <DataGrid label="Restored tables" columns={RESTORED_COLUMNS} rows={restored.tables} height={300} rowData={(t) => ({ "data-table": t.table })} />
                </div>
              )}
              {canRestore && e.binlogFile && <PointInTime profile={profile} entry={e} jobs={jobs} busy={!!running} />}
              {e.pitrCommand && (
                <>
                  <h3>Point-in-time recovery by hand</h3>
                  <p className="muted">The same replay with the MariaDB tools, from the backup&apos;s position; set the stop time just before the mistake.</p>
                  <pre className="prompt" data-testid="pitr-command">
                    {restored && restored.backup === e.path && restored.pitrCommand ? restored.pitrCommand : e.pitrCommand}
                  </pre>
                  <div className="actions" style={{ justifyContent: "flex-start" }}>
                    <button type="button" onClick={() => void navigator.clipboard.writeText(e.pitrCommand ?? "")}>
                      Copy
                    </button>
                  </div>
                </>
              )}
            </div>
          ))}
      </section>

      {profile.redis && <RedisPersistence profile={profile} operator={may(profile, "redisPersist")} />}
    </div>
  );
}

const VERIFY_COLUMNS: GridColumn<TableVerify>[] = [
  { id: "table", header: "Table", type: "text", value: (t) => t.table, width: 200 },
  { id: "files", header: "Files", type: "count", value: (t) => t.files, width: 80, render: (t) => plural(t.files, "file") },
  { id: "rows", header: "Rows", type: "count", value: (t) => t.rows, width: 120, render: (t) => plural(t.rows, "row") },
  {
    id: "state",
    header: "Checksums",
    type: "text",
    value: (t) => (t.ok ? "ok" : `damaged ${t.problems.join("; ")}`),
    width: 360,
    render: (t) => (
      <>
        <span className={`badge ${t.ok ? "good" : "bad"}`}>{t.ok ? "ok" : "damaged"}</span> {t.problems.join("; ")}
      </>
    ),
  },
];

const RESTORED_COLUMNS: GridColumn<TableCheck>[] = [
  { id: "table", header: "Table", type: "text", value: (t) => t.table, width: 200 },
  { id: "rows", header: "Rows found / in the backup", type: "text", value: (t) => `${formatCount(t.rowsFound)} / ${formatCount(t.rowsExpected)}`, width: 200 },
  {
    id: "checksum",
    header: "CHECKSUM TABLE",
    type: "text",
    value: (t) => (t.checksumExpected == null ? "not taken" : `${t.checksumFound} / ${t.checksumExpected}`),
    width: 220,
  },
  {
    id: "state",
    header: "",
    type: "text",
    value: (t) => (t.ok ? "equal" : "differs"),
    width: 90,
    render: (t) => <span className={`badge ${t.ok ? "good" : "bad"}`}>{t.ok ? "equal" : "differs"}</span>,
  },
];

const saving = (p: Persistence | null | undefined) => !!p && (p.rdbBgsaveInProgress || p.aofRewriteInProgress || p.aofRewriteScheduled);

function RedisPersistence({ profile, operator }: { profile: Profile; operator: boolean }) {
  const query = useQuery({
    queryKey: ["redisPersistence", profile.name],
    queryFn: () => redisPersistence(profile.name),
    // Polled while a save runs, so its end shows.
    refetchInterval: (q) => (saving(q.state.data) ? 1000 : false),
  });
  const status: Persistence | null = query.data ?? null;
  const error: UiError | null = query.error ? asUiError(query.error) : null;
  const busy = saving(status);
  const toasts = useToasts();
  const load = () => void query.refetch();

  const run = async (trigger: "bgsave" | "bgrewriteaof") => {
    try {
      const reply = await redisPersist(profile.name, trigger);
      toasts.info(trigger.toUpperCase(), `${reply} (written to operation_logs)`);
      load();
    } catch (e) {
      toasts.error(asUiError(e));
    }
  };

  return (
    <section className="card" data-testid="redis-persistence">
      <div className="card-head">
        <h2>Redis persistence</h2>
        <div className="actions">
          <button type="button" onClick={load}>
            Refresh
          </button>
          {operator && status && !status.refuses && (
            <>
              <button type="button" data-action="bgsave" disabled={busy} onClick={() => void run("bgsave")}>
                BGSAVE
              </button>
              <button type="button" disabled={busy} onClick={() => void run("bgrewriteaof")}>
                BGREWRITEAOF
              </button>
            </>
          )}
        </div>
      </div>
      {error && <ErrorLine error={error} />}
      {!status && !error && <p className="muted">Reading INFO persistence…</p>}
      {status && (
        <dl className="facts">
          <dt>Server</dt>
          <dd>
            {status.address} ({status.role})
          </dd>
          <dt>Last save</dt>
          <dd data-testid="redis-last-save">
            {status.rdbLastSave ? new Date(status.rdbLastSave).toLocaleString() : "never"} · status {status.rdbLastBgsaveStatus ?? "—"}
            {status.rdbLastBgsaveSeconds != null ? ` · took ${formatDuration(Number(status.rdbLastBgsaveSeconds) * 1000)}` : ""}
          </dd>
          <dt>Changes since</dt>
          <dd>{status.rdbChangesSinceLastSave ?? "—"}</dd>
          <dt>BGSAVE</dt>
          <dd>{status.rdbBgsaveInProgress ? `running for ${status.rdbCurrentBgsaveSeconds ?? 0} s` : "idle"}</dd>
          <dt>Save points</dt>
          <dd>{status.savePoints ? (status.savePoints.length ? status.savePoints.join(", ") : "none: RDB snapshots are off") : "unknown (CONFIG not allowed)"}</dd>
          <dt>AOF</dt>
          <dd>
            {status.aofEnabled ? "on" : "off"}
            {status.appendfsync ? ` · appendfsync ${status.appendfsync}` : ""}
            {status.aofRewriteInProgress ? " · rewrite running" : ""}
            {status.aofLastBgrewriteStatus ? ` · last rewrite ${status.aofLastBgrewriteStatus}` : ""}
          </dd>
        </dl>
      )}
      {status?.refuses && <p className="muted">{status.refuses}</p>}
    </section>
  );
}
