import { useEffect, useState } from "react";
import { useQueries, useQueryClient } from "@tanstack/react-query";
import { asUiError, checkFleetProfile } from "../../api";
import type { FleetEntry } from "../../bindings/FleetEntry";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { Severity } from "../../bindings/Severity";
import type { UiError } from "../../bindings/UiError";
import { formatBytes, formatDuration } from "../../format";

/** Every profile is checked again this often while the screen is open. */
const REFRESH_MS = 30_000;
const RANK: Record<Severity, number> = { critical: 2, warning: 1, ok: 0 };
const WORD: Record<Severity, string> = { critical: "Alarm", warning: "Warning", ok: "OK" };
const BADGE: Record<Severity, string> = { critical: "bad", warning: "warn", ok: "good" };

type Card = { name: string; entry?: FleetEntry; error?: UiError; updatedAt: number; fetching: boolean };

/**
 * The operator's morning: every profile checked at once, each on its own (a dead host shows
 * as unreachable when its own limit runs out while the others already show their figures),
 * worst first, checked again every 30 s.
 */
export function FleetScreen({ profiles, onOpen }: { profiles: Profile[]; onOpen: (name: string) => void }) {
  const queryClient = useQueryClient();
  const checks = useQueries({
    queries: profiles.map((p) => ({
      queryKey: ["fleet", p.name],
      queryFn: () => checkFleetProfile(p.name),
      refetchInterval: REFRESH_MS,
      retry: false,
    })),
  });
  // Re-render each second so "checked 12 s ago" and staleness stay true.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const cards: Card[] = profiles.map((p, i) => ({
    name: p.name,
    entry: checks[i].data,
    error: checks[i].error ? asUiError(checks[i].error) : undefined,
    updatedAt: checks[i].dataUpdatedAt,
    fetching: checks[i].isFetching,
  }));
  const rank = (c: Card) => (c.error ? 2 : c.entry ? RANK[c.entry.severity] : -1);
  cards.sort((a, b) => rank(b) - rank(a) || a.name.localeCompare(b.name));
  const count = (s: Severity) => cards.filter((c) => c.entry?.severity === s).length;
  const pending = cards.filter((c) => !c.entry && !c.error).length;

  return (
    <div className="fleet">
      <div className="fleet-summary" role="status" aria-live="polite">
        <span>
          {profiles.length} profile{profiles.length === 1 ? "" : "s"}
        </span>
        <span className="badge bad">{count("critical") + cards.filter((c) => c.error).length} alarm</span>
        <span className="badge warn">{count("warning")} warning</span>
        <span className="badge good">{count("ok")} ok</span>
        {pending > 0 && <span className="muted">checking {pending}…</span>}
        <span className="muted">every profile is checked again every 30 s</span>
        <button type="button" data-action="fleet-refresh" onClick={() => void queryClient.invalidateQueries({ queryKey: ["fleet"] })}>
          Check now
        </button>
      </div>
      <div className="fleet-cards">
        {cards.map((c) => (
          <FleetCard key={c.name} card={c} now={now} onOpen={() => onOpen(c.name)} />
        ))}
      </div>
    </div>
  );
}

function FleetCard({ card, now, onOpen }: { card: Card; now: number; onOpen: () => void }) {
  const e = card.entry;
  const severity: Severity | null = card.error ? "critical" : (e?.severity ?? null);
  // Figures older than a refresh plus the profile's own limit: its latest check has not
  // answered, so what is shown may no longer be true.
  const limit = REFRESH_MS + 10_000;
  const stale = !!e && now - card.updatedAt > limit;
  const ago = e ? Math.max(0, Math.round((now - card.updatedAt) / 1000)) : 0;
  return (
    <section className={`card fleet-card sev-${severity ?? "pending"}`} data-fleet-profile={card.name} data-severity={severity ?? "pending"} aria-label={`Profile ${card.name}`}>
      <div className="card-head">
        <h2>
          {card.name}
          {severity && <span className={`badge ${BADGE[severity]}`}>{WORD[severity]}</span>}
          {e && e.role !== "operator" && <span className="badge">{e.role === "lead" ? "support lead" : "support"}</span>}
        </h2>
        <button type="button" onClick={onOpen} data-action="fleet-open">
          Open
        </button>
      </div>
      {!e && !card.error && <p className="muted">Checking…</p>}
      {card.error && <p className="error" role="alert">{card.error.message}</p>}
      {e && (
        <>
          {e.problems.length > 0 ? (
            <ul className="fleet-problems">
              {e.problems.map((p, i) => (
                <li key={i}>
                  <span className={`badge ${BADGE[p.severity]}`}>{p.area}</span> {p.text}
                </li>
              ))}
            </ul>
          ) : (
            <p className="good-text">Nothing wrong.</p>
          )}
          <dl className="fleet-figures">
            <dt>Primary</dt>
            <dd data-figure="primary">{e.primary ? `${e.primary.version ?? "?"} · ${e.primary.address}${e.primary.path === "direct" ? "" : ` · ${e.primary.path}`}` : "unreachable"}</dd>
            <dt>Replication</dt>
            <dd data-figure="replication">
              {e.replication
                ? `${e.replication.verdict} · ${e.replication.replicas} replica${e.replication.replicas === 1 ? "" : "s"}${e.replication.worstLagS === null ? "" : ` · worst lag ${formatDuration(e.replication.worstLagS * 1000)}`}`
                : "—"}
            </dd>
            <dt>Redis</dt>
            <dd data-figure="redis">
              {e.redis
                ? `${formatBytes(e.redis.usedMemoryBytes)}${e.redis.maxMemoryBytes > 0 ? ` of ${formatBytes(e.redis.maxMemoryBytes)}` : " (no maxmemory)"} · ${e.redis.hitRate === null ? "too few reads for a hit rate" : `hits ${(e.redis.hitRate * 100).toFixed(0)}%`}`
                : "—"}
            </dd>
            <dt>Load</dt>
            <dd data-figure="load">{e.load ? `${e.load.qps.toFixed(1)} QPS · ${e.load.threadsRunning} running · ${e.load.threadsConnected} connected` : "—"}</dd>
            <dt>Backup</dt>
            <dd data-figure="backup">
              {!e.backup ? "no backup folder set (Connections)" : e.backup.age !== null ? `${e.backup.age} old · ${e.backup.newest}` : e.backup.error ? "folder unreadable" : "none yet"}
            </dd>
            <dt>Schema</dt>
            <dd data-figure="schema">
              {!e.schema
                ? "—"
                : e.schema.pendingMigrations + e.schema.unknownMigrations + e.schema.missingTables.length === 0
                  ? "up to date"
                  : "drift (see what is wrong)"}
            </dd>
          </dl>
          <p className={`muted fleet-checked ${stale ? "stale" : ""}`} data-stale={stale}>
            {stale ? "stale: " : ""}checked {ago < 1 ? "just now" : `${formatDuration(ago * 1000)} ago`} in {formatDuration(e.elapsedMs)}{card.fetching ? " · checking again…" : ""}
          </p>
        </>
      )}
    </section>
  );
}
