// Restore to a point in time: the backup's restorable window on this server (from its
// snapshot to now, every binlog since still there), a moment picked inside it, and the
// result — always a new database — with its rows, checksums and the GTID the replay reached.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { asUiError, backupWindow, cancelJob, newJobId, restoreBackup } from "../../api";
import type { BackupEntry } from "../../bindings/BackupEntry";
import type { BackupProgress } from "../../bindings/BackupProgress";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { RestoreReport } from "../../bindings/RestoreReport";
import type { UiError } from "../../bindings/UiError";
import { ErrorLine } from "../overview/OverviewScreen";
import { ProgressLine } from "./ProgressLine";
import { formatBytes, formatDuration } from "../../format";
import type { TableState } from "../../bindings/TableState";
import { DataGrid, type GridColumn } from "../../components/DataGrid";

const TABLE_STATE_COLUMNS: GridColumn<TableState>[] = [
  { id: "table", header: "Table", type: "text", value: (t) => t.table, width: 200 },
  { id: "rows", header: "Rows", type: "count", value: (t) => t.rows, width: 120 },
  { id: "checksum", header: "CHECKSUM TABLE", type: "id", value: (t) => t.checksum, width: 160 },
];

/** `YYYY-MM-DDTHH:MM:SS` in local time, as a datetime-local input holds it. */
function localInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function PointInTime({ profile, entry, jobs, busy }: { profile: Profile; entry: BackupEntry; jobs: number; busy: boolean }) {
  const span = useQuery({
    queryKey: ["backupWindow", profile.name, entry.path],
    queryFn: () => backupWindow(profile.name, entry.path),
    retry: false,
    // The window ends now and a purge can shorten it: read it again while the panel is open.
    refetchInterval: 15000,
  });
  const [moment, setMoment] = useState("");
  const [into, setInto] = useState(`${entry.database ?? "mindpal"}_pitr`);
  const [job, setJob] = useState<{ id: string; progress: BackupProgress | null } | null>(null);
  const [result, setResult] = useState<RestoreReport | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const w = span.data;
  const min = w ? localInput(w.from) : undefined;
  // The binlog runs on past `to` (read again every 15 s): only the start bounds the choice here,
  // and a moment in the server's future is refused by the core.
  const max = w ? localInput(w.to) : undefined;
  const inside = !!w && !!moment && moment >= (min ?? "");

  const run = async () => {
    const id = newJobId("pitr");
    setJob({ id, progress: null });
    setResult(null);
    setError(null);
    try {
      const until = new Date(moment).toISOString();
      const r = await restoreBackup(profile.name, entry.path, { into, replace: false, replaceLiveDatabase: false, jobs, until: { kind: "time", value: until } }, id, (p) =>
        setJob((j) => (j && j.id === id ? { ...j, progress: p } : j)),
      );
      setResult(r);
      void span.refetch();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setJob(null);
    }
  };

  return (
    <div data-testid="pitr">
      <h3>Restore to a point in time</h3>
      {span.isPending && <p className="muted">Reading the server&apos;s binlogs…</p>}
      {span.error && (
        <p data-testid="pitr-window-error">
          <ErrorLine error={asUiError(span.error)} />
        </p>
      )}
      {w && (
        <>
          <p className="muted" data-testid="pitr-window">
            Restorable from {new Date(w.from).toLocaleString()} to now
            {w.gtidFrom ? `, GTID ${w.gtidFrom} to ${w.gtidTo ?? "?"}` : ""}; binlogs {w.files.join(", ")}. The snapshot is loaded into a new database,
            then the binlog of `{entry.database}` is replayed into it up to the moment you pick (events at or after it are not applied).
          </p>
          <div className="filters">
            <label>
              As of
              <input type="datetime-local" step={1} min={min} max={max} value={moment} data-testid="pitr-moment" onChange={(x) => setMoment(x.target.value)} />
            </label>
            <label>
              Into new database
              <input value={into} data-testid="pitr-into" onChange={(x) => setInto(x.target.value)} />
            </label>
            <button type="button" data-action="pitr-restore" disabled={!inside || !into || busy || !!job} onClick={() => void run()}>
              Restore to this moment
            </button>
          </div>
          {moment && !inside && <p className="muted">Pick a moment inside the window above.</p>}
        </>
      )}
      {job && <ProgressLine run={{ job: job.id, what: "Point-in-time restore", progress: job.progress }} onCancel={() => void cancelJob(job.id)} />}
      {error && (
        <div className="banner error" data-testid="pitr-error">
          <ErrorLine error={error} />
        </div>
      )}
      {result?.pitr && (
        <div data-testid="pitr-report" data-ok={String(result.ok)}>
          <p>
            <strong>{result.database}</strong> holds `{entry.database}` as of {new Date(moment).toLocaleString()}: the snapshot loaded{" "}
            {result.ok ? "equal to the backup" : "with differences"}, then {formatBytes(result.pitr.bytesRead)} of binlog replayed in{" "}
            {formatDuration(result.pitr.seconds * 1000)}, last GTID <code data-testid="pitr-gtid">{result.pitr.gtidReached ?? "—"}</code>. Compare it before pointing
            the platform at it.
          </p>
          <DataGrid label="Tables after the replay" columns={TABLE_STATE_COLUMNS} rows={result.pitr.tables} height={300} rowData={(t) => ({ "data-table": t.table })} />
        </div>
      )}
    </div>
  );
}
