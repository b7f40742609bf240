// The bar of a running backup or restore job, with Cancel, or the figures of the last one.

import type { BackupProgress } from "../../bindings/BackupProgress";
import { formatBytes, formatDuration } from "../../format";

export type Running = { job: string; what: string; progress: BackupProgress | null };

/** The running job's bar with Cancel, or the last finished one's figures. */
export function ProgressLine({ run, onCancel }: { run: Running; onCancel?: () => void }) {
  const p = run.progress;
  return (
    <div className="job" data-testid="backup-progress" data-state={onCancel ? "running" : "done"}>
      <progress max={1} value={onCancel ? (p?.fraction ?? 0) : 1} aria-label={`${run.what} progress`} />
      <span className="muted" data-phase={p?.phase ?? "starting"}>
        {p
          ? `${onCancel ? p.phase : "done"} · ${p.tablesDone}/${p.tablesTotal} tables · ${p.rowsDone.toLocaleString()} of ~${p.rowsEstimate.toLocaleString()} rows · ${formatBytes(p.bytesDone)} (${formatBytes(p.compressedBytes)} zstd) · ${Math.round(p.rowsPerSecond).toLocaleString()} rows/s${p.etaSeconds != null ? ` · ETA ${formatDuration(p.etaSeconds * 1000)}` : ""}`
          : "starting…"}
      </span>
      {onCancel && (
        <button type="button" onClick={onCancel} data-action="cancel-job">
          Cancel
        </button>
      )}
    </div>
  );
}

