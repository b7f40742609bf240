// Replication and HA at a glance: the primary and its replicas with verdicts in words and
// true lag (a heartbeat), a lag chart of the minutes the screen has been open, and the Redis
// side with Sentinel's view. Polls every few seconds, never more than one check at a time.
import { ClusterNodes } from "./ClusterNodes";
import { useEffect, useMemo, useRef, useState } from "react";
import { asUiError, beatHeartbeat, createHeartbeat, may, replicationStatus } from "../../api";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { ReplicaHealth } from "../../bindings/ReplicaHealth";
import type { ReplicationReport } from "../../bindings/ReplicationReport";
import type { UiError } from "../../bindings/UiError";
import type { HealthVerdict as Verdict } from "../../bindings/HealthVerdict";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatDuration } from "../../format";
import { TimeChart } from "../../components/TimeChart";

const HISTORY_MS = 10 * 60 * 1000;
type Sample = { t: number; lags: Record<string, number | null> };

const TONE: Record<Verdict, "good" | "warn" | "bad"> = { healthy: "good", lagging: "warn", unknown: "warn", unreachable: "bad", broken: "bad" };

function VerdictBadge({ v }: { v: Verdict }) {
  return (
    <span className={`badge ${TONE[v]}`} data-verdict={v}>
      {v}
    </span>
  );
}

export function ReplicationScreen({ profile }: { profile: Profile }) {
  const [report, setReport] = useState<ReplicationReport | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [history, setHistory] = useState<Sample[]>([]);
  const [intervalS, setIntervalS] = useState(2);
  const [lagAfter, setLagAfter] = useState(10);
  const [beating, setBeating] = useState(false);
  const [failover, setFailover] = useState<string | null>(null);
  const toasts = useToasts();
  const operator = may(profile, "heartbeat");
  const settings = useRef({ intervalS, lagAfter, beating });
  useEffect(() => {
    settings.current = { intervalS, lagAfter, beating };
  });

  // One check, then the next one `intervalS` after it answered: a slow server never gets a
  // second request while the first is still out.
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let lastMaster: string | null = null;
    const poll = async () => {
      const { lagAfter: after, beating: beat } = settings.current;
      try {
        if (beat) await beatHeartbeat(profile.name).catch(() => undefined);
        const r = await replicationStatus(profile.name, { laggingAfterS: after, timeoutMs: 2000 });
        if (stopped) return;
        setReport(r);
        setError(null);
        const master = r.redis?.master ?? null;
        if (lastMaster && master && master !== lastMaster) setFailover(`The Redis master moved from ${lastMaster} to ${master} (Sentinel failover).`);
        lastMaster = master;
        const lags: Record<string, number | null> = {};
        for (const rep of r.replicas) lags[rep.address] = lagOf(rep);
        setHistory((h) => [...h.filter((s) => s.t > r.checkedAtMs - HISTORY_MS), { t: r.checkedAtMs, lags }]);
      } catch (e) {
        if (!stopped) setError(asUiError(e));
      }
      if (!stopped) timer = window.setTimeout(() => void poll(), settings.current.intervalS * 1000);
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [profile.name]);

  const makeHeartbeat = async () => {
    try {
      const t = await createHeartbeat(profile.name);
      toasts.info("Heartbeat created", `${t.database}.${t.table} on the primary; written to operation_logs`);
      setBeating(true);
    } catch (e) {
      toasts.error(asUiError(e));
    }
  };

  return (
    <div className="replication">
      <div className="searchbar">
        <label className="check-inline">
          Every
          <select name="interval" value={intervalS} onChange={(e) => setIntervalS(Number(e.target.value))}>
            {[1, 2, 5, 10].map((s) => (
              <option key={s} value={s}>
                {s} s
              </option>
            ))}
          </select>
        </label>
        <label className="check-inline">
          Lagging after
          <input type="number" name="lag-threshold" min={1} max={3600} value={lagAfter} onChange={(e) => setLagAfter(Math.max(1, Number(e.target.value) || 1))} style={{ width: 70 }} />s
        </label>
        {report && (
          <span className="muted" data-testid="checked">
            checked {new Date(report.checkedAtMs).toLocaleTimeString()} in {report.elapsedMs.toFixed(0)} ms
          </span>
        )}
        {report && <VerdictBadge v={report.overall} />}
      </div>
      {error && (
        <div className="card">
          <ErrorLine error={error} />
        </div>
      )}
      {failover && (
        <div className="banner info" role="status">
          <span>{failover}</span>
          <button type="button" onClick={() => setFailover(null)}>
            Dismiss
          </button>
        </div>
      )}
      {!report && !error && <p className="muted">Checking the primary, its replicas and Redis…</p>}
      {report && (
        <>
          <Topology report={report} />
          <section className="card">
            <div className="card-head">
              <h2>Primary</h2>
              {report.primary.error ? <VerdictBadge v="unreachable" /> : <VerdictBadge v="healthy" />}
            </div>
            {report.primary.error ? (
              <ErrorLine error={{ ...report.primary.error, fields: [] }} />
            ) : (
              <dl className="facts">
                <dt>Server</dt>
                <dd>
                  {report.primary.address} · {report.primary.version} · server_id {report.primary.serverId}
                  {report.primary.readOnly ? " · read-only!" : ""}
                </dd>
                <dt>Binlog</dt>
                <dd>
                  {report.primary.binlogFile}:{report.primary.binlogPos}
                </dd>
                <dt>GTID</dt>
                <dd>{report.primary.gtidPosition ?? "—"}</dd>
                <dt>Sees</dt>
                <dd>{report.primary.seenReplicas.join(", ") || "no replica connected"}</dd>
                <dt>Heartbeat</dt>
                <dd data-testid="heartbeat">
                  {report.primary.heartbeat ? (
                    <>
                      {report.primary.heartbeat.database}.{report.primary.heartbeat.table}
                      {report.primary.heartbeatAgeS !== null && report.primary.heartbeatAgeS > 5 && !beating && (
                        <span className="error"> · not being written (last beat {report.primary.heartbeatAgeS.toFixed(0)} s ago)</span>
                      )}
                      {operator && (
                        <label className="check-inline">
                          <input type="checkbox" name="beat" checked={beating} onChange={(e) => setBeating(e.target.checked)} /> write it every poll while this screen is open
                        </label>
                      )}
                    </>
                  ) : (
                    <>
                      <span className="muted">none: without one, a replica whose SQL thread stopped shows no lag (Seconds_Behind_Master is NULL). </span>
                      {operator && (
                        <button type="button" data-action="create-heartbeat" onClick={() => void makeHeartbeat()}>
                          Create percona.heartbeat
                        </button>
                      )}
                    </>
                  )}
                </dd>
              </dl>
            )}
          </section>
          {report.replicas.length === 0 && <p className="muted">This profile names no replica. Add one on the Connections screen.</p>}
          {report.replicas.map((r) => (
            <ReplicaCard key={r.address} replica={r} />
          ))}
          <LagChart history={history} threshold={lagAfter} />
          {report.redis && <RedisCard report={report} />}
        </>
      )}
    </div>
  );
}

function lagOf(r: ReplicaHealth): number | null {
  if (r.heartbeatLagS !== null) return r.heartbeatLagS;
  const own = r.channels.map((c) => c.secondsBehind).filter((x): x is number => x !== null);
  return own.length ? Math.max(...own) : null;
}

function Topology({ report }: { report: ReplicationReport }) {
  return (
    <div className="topology" data-testid="topology" aria-label="Topology">
      <div className="topo-side">
        <div className={`topo-node ${report.primary.error ? "bad" : "good"}`}>
          <strong>primary</strong>
          <span>{report.primary.address}</span>
        </div>
        <div className="topo-children">
          {report.replicas.map((r) => (
            <div key={r.address} className={`topo-node ${TONE[r.verdict]}`} data-replica={r.address} data-verdict={r.verdict}>
              <strong>replica</strong>
              <span>{r.address}</span>
              <span>{lagOf(r) !== null ? formatDuration((lagOf(r) ?? 0) * 1000) : r.verdict}</span>
            </div>
          ))}
        </div>
      </div>
      {report.redis?.cluster && (
        <div className="topo-side">
          <div className={`topo-node ${TONE[report.redis.overall]}`} data-redis-cluster={report.redis.cluster.address}>
            <strong>redis cluster</strong>
            <span>{report.redis.cluster.state ?? "—"}</span>
          </div>
          <div className="topo-children">
            {report.redis.cluster.nodes
              .filter((n) => n.role === "master")
              .map((n) => (
                <div key={n.id} className={`topo-node ${n.flags.includes("fail") ? "bad" : n.flags.includes("fail?") ? "warn" : "good"}`}>
                  <strong>{n.slots.length ? "master" : "master, no slots"}</strong>
                  <span>{n.address}</span>
                  <span>{n.slots.map(([a, b]) => `${a}-${b}`).join(", ")}</span>
                </div>
              ))}
          </div>
        </div>
      )}
      {report.redis && !report.redis.cluster && (
        <div className="topo-side">
          <div className={`topo-node ${TONE[report.redis.nodes[0]?.verdict ?? "unreachable"]}`} data-redis-master={report.redis.master ?? ""}>
            <strong>redis master</strong>
            <span>{report.redis.master ?? "—"}</span>
          </div>
          <div className="topo-children">
            {report.redis.nodes.slice(1).map((n) => (
              <div key={n.address} className={`topo-node ${TONE[n.verdict]}`}>
                <strong>replica</strong>
                <span>{n.address}</span>
                <span>{n.lagBytes !== null ? `${n.lagBytes} B behind` : n.linkStatus ?? ""}</span>
              </div>
            ))}
            {report.redis.sentinels.map((s) => (
              <div key={s.address} className={`topo-node ${s.error ? "bad" : "good"} sentinel`}>
                <strong>sentinel</strong>
                <span>{s.address}</span>
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}

function ReplicaCard({ replica: r }: { replica: ReplicaHealth }) {
  const lag = lagOf(r);
  return (
    <section className="card" data-testid="replica" data-address={r.address} data-verdict={r.verdict}>
      <div className="card-head">
        <h2>
          Replica {r.address}
          {r.discovered && <span className="badge">discovered</span>}
        </h2>
        <VerdictBadge v={r.verdict} />
      </div>
      <p className={r.verdict === "healthy" ? "muted" : "error"} data-testid="reason">
        {r.reason}
      </p>
      <dl className="facts">
        <dt>Lag</dt>
        <dd data-testid="lag" data-lag={lag ?? ""}>
          {lag !== null ? formatDuration(lag * 1000) : "unknown"}
          {r.heartbeatLagS !== null ? " (heartbeat)" : lag !== null ? " (Seconds_Behind_Master)" : ""}
          {r.gtidGap !== null && ` · ${r.gtidGap} transactions to apply`}
          {r.byteGap !== null && ` · ${r.byteGap.toLocaleString("en-US")} binlog bytes`}
        </dd>
        <dt>State</dt>
        <dd>
          read_only {r.readOnly === null ? "?" : r.readOnly ? "on" : "OFF"}
          {r.semiSync !== null && ` · semi-sync ${r.semiSync ? "on" : "off"}`}
          {r.gtidSlavePos && ` · gtid_slave_pos ${r.gtidSlavePos}`}
        </dd>
      </dl>
      {r.channels.length > 0 && (
        <table className="mini">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Source</th>
              <th>IO</th>
              <th>SQL</th>
              <th>Behind</th>
              <th>Read / executed</th>
              <th>GTID</th>
              <th>Delay</th>
            </tr>
          </thead>
          <tbody>
            {r.channels.map((c) => (
              <tr key={c.channel || "default"}>
                <td>{c.channel || "default"}</td>
                <td>
                  {c.sourceHost}:{c.sourcePort}
                </td>
                <td className={c.ioRunning === "running" ? "ok" : "error"}>
                  {c.ioRunning}
                  {c.lastIoErrno ? ` (${c.lastIoErrno})` : ""}
                </td>
                <td className={c.sqlRunning === "running" ? "ok" : "error"}>
                  {c.sqlRunning}
                  {c.lastSqlErrno ? ` (${c.lastSqlErrno})` : ""}
                </td>
                <td>{c.secondsBehind ?? "NULL"}</td>
                <td>
                  {c.sourceLogFile}:{c.readSourceLogPos} / {c.relaySourceLogFile}:{c.execSourceLogPos}
                </td>
                <td>{c.gtidIoPos ?? c.executedGtidSet ?? "—"}</td>
                <td>{formatDuration((c.sqlDelay ?? 0) * 1000)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Lag over the minutes the screen has been open, one line per replica. */
function LagChart({ history, threshold }: { history: Sample[]; threshold: number }) {
  const times = useMemo(() => history.map((s) => s.t), [history]);
  const series = useMemo(() => {
    const names = [...new Set(history.flatMap((s) => Object.keys(s.lags)))];
    return names.map((n) => ({ label: n, values: history.map((s) => s.lags[n] ?? null) }));
  }, [history]);
  const thresholds = useMemo(() => [{ value: threshold, label: "lagging" }], [threshold]);
  if (history.length < 2) return null;
  return (
    <figure className="card chart-card">
      <h2>Lag, last {formatDuration(times[times.length - 1] - times[0])}</h2>
      <TimeChart label="Replica lag over time" testid="lag-chart" times={times} series={series} format={lagSeconds} thresholds={thresholds} />
      <figcaption className="muted">dashed: the lagging threshold ({threshold} s) · drag across to zoom, double-click to zoom out</figcaption>
    </figure>
  );
}

const lagSeconds = (v: number) => (v < 10 && !Number.isInteger(v) ? `${v.toFixed(1)} s` : `${Math.round(v)} s`);

function RedisCard({ report }: { report: ReplicationReport }) {
  const redis = report.redis;
  if (!redis) return null;
  return (
    <section className="card" data-testid="redis-replication">
      <div className="card-head">
        <h2>Redis ({redis.mode})</h2>
        <VerdictBadge v={redis.overall} />
      </div>
      <p className={redis.overall === "healthy" ? "muted" : "error"} data-testid="redis-reason">{redis.reason}</p>
      {redis.nodes.length > 0 && (
      <table className="mini">
        <thead>
          <tr>
            <th>Node</th>
            <th>Role</th>
            <th>Link</th>
            <th>Offset</th>
            <th>Behind</th>
            <th>Last IO</th>
          </tr>
        </thead>
        <tbody>
          {redis.nodes.map((n) => (
            <tr key={n.address}>
              <td>{n.address}</td>
              <td>{n.role ?? "—"}</td>
              <td className={n.verdict === "healthy" ? "ok" : "error"}>{n.linkStatus ?? (n.error ? n.error.message : "—")}</td>
              <td>{n.offset ?? "—"}</td>
              <td>{n.lagBytes !== null ? `${n.lagBytes} B` : "—"}</td>
              <td>{n.lastIoSecondsAgo !== null ? `${n.lastIoSecondsAgo} s ago` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      )}
      {redis.sentinels.map((s) => (
        <p key={s.address} className="muted">
          Sentinel {s.address}: {s.error ? s.error.message : `master ${s.master} (${s.masterFlags}), ${s.sentinels} sentinel(s), quorum ${s.quorum}; ${s.ckquorum}`}
        </p>
      ))}
      {redis.cluster && <ClusterNodes cluster={redis.cluster} />}
    </section>
  );
}
