// The Redis cache the platform leans on: its health (memory, hit rate, evictions, slowlog),
// a key browser that uses SCAN only under a cost guard, one key opened type by type with the
// platform's meaning linked, and memory by key shape from a stated sample.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, cacheAnalyze, cacheChange, cacheGet, cacheScan, may, redisStatus } from "../../api";
import type { KeyChange } from "../../bindings/KeyChange";
import type { KeyRow } from "../../bindings/KeyRow";
import type { MemoryAnalysis } from "../../bindings/MemoryAnalysis";
import type { PlatformLink } from "../../bindings/PlatformLink";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { RedisStatus } from "../../bindings/RedisStatus";
import type { ScanPage } from "../../bindings/ScanPage";
import type { UiError } from "../../bindings/UiError";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatBytes, formatCount, formatDuration, formatTime } from "../../format";
import type { Element } from "../../bindings/Element";
import type { PrefixFigures } from "../../bindings/PrefixFigures";
import type { SlowEntry } from "../../bindings/SlowEntry";
import { DataGrid, type GridColumn } from "../../components/DataGrid";

export type Opener = { user: (id: string) => void; conversation: (id: string) => void; digitalHuman: (id: string) => void };

const ttl = (ms: number) => (ms === -1 ? "no expiry" : ms === -2 ? "gone" : formatDuration(ms));

export function CacheScreen({ profile, open }: { profile: Profile; open: Opener }) {
  if (!profile.redis) return <p className="muted">This profile has no Redis. Add one on the Connections screen.</p>;
  return (
    <div className="stack">
      <StatusCards profile={profile} />
      <Browser profile={profile} open={open} />
      <Analysis profile={profile} />
    </div>
  );
}

function StatusCards({ profile }: { profile: Profile }) {
  const q = useQuery({ queryKey: ["redis-status", profile.name], queryFn: () => redisStatus(profile.name), refetchInterval: 3000 });
  if (q.isError && !q.data) return <ErrorLine error={asUiError(q.error)} />;
  if (!q.data) return <p className="muted">Reading INFO…</p>;
  return (
    <>
      {q.isError && <ErrorLine error={asUiError(q.error)} />}
      {q.data.map((s) => (
        <NodeStatus key={s.server.address} s={s} />
      ))}
    </>
  );
}

function NodeStatus({ s }: { s: RedisStatus }) {
  return (
    <section className="card" data-testid="redis-status">
      <div className="card-head">
        <h2>
          {s.server.address} · Redis {s.server.version} · {s.server.role}
        </h2>
        <span className="muted">up {formatDuration(s.uptimeSeconds * 1000)}</span>
      </div>
      <dl className="facts">
        <dt>Memory</dt>
        <dd>
          {formatBytes(s.usedMemory)} used · peak {formatBytes(s.usedMemoryPeak)} · fragmentation {s.fragmentationRatio.toFixed(2)} · limit {s.maxmemory ? formatBytes(s.maxmemory) : "none"} · policy {s.maxmemoryPolicy}
        </dd>
        <dt>Hit rate</dt>
        <dd data-testid="hit-rate">
          {s.hitRate === null ? "no lookups yet" : `${(s.hitRate * 100).toFixed(2)} %`} ({s.keyspaceHits} hits, {s.keyspaceMisses} misses)
        </dd>
        <dt>Evictions / expirations</dt>
        <dd className={s.evictedKeys > 0 ? "warn-text" : ""}>
          {s.evictedKeys} evicted · {s.expiredKeys} expired
        </dd>
        <dt>Clients · ops/s</dt>
        <dd>
          {s.connectedClients} connected ({s.blockedClients} blocked) · {s.opsPerSec} ops/s
        </dd>
        <dt>Keys</dt>
        <dd>{s.keyspace.length === 0 ? "none" : s.keyspace.map((d) => `db${d.db}: ${d.keys} (${d.expires} with a TTL)`).join(" · ")}</dd>
      </dl>
      <details>
        <summary>
          Slowlog: {s.slowlogLength} entr{s.slowlogLength === 1 ? "y" : "ies"}
        </summary>
        {s.slowlog.length === 0 ? (
          <p className="muted">Empty.</p>
        ) : (
          <DataGrid label="Slowlog" columns={SLOWLOG_COLUMNS} rows={s.slowlog} height={240} />
        )}
      </details>
    </section>
  );
}

const SLOWLOG_COLUMNS: GridColumn<SlowEntry>[] = [
  { id: "when", header: "When", type: "text", value: (e) => formatTime(e.atUnix * 1000), width: 170 },
  { id: "took", header: "Took", type: "number", value: (e) => e.micros, width: 90, render: (e) => formatDuration(e.micros / 1000) },
  { id: "command", header: "Command", type: "text", value: (e) => e.command.join(" "), width: 360 },
  { id: "client", header: "Client", type: "text", value: (e) => e.client, width: 160 },
];

const SHAPE_COLUMNS: GridColumn<PrefixFigures>[] = [
  { id: "shape", header: "Shape", type: "text", value: (g) => g.prefix, width: 200 },
  { id: "sampled", header: "Sampled keys", type: "count", value: (g) => g.sampledKeys, width: 110 },
  { id: "bytes", header: "Bytes", type: "bytes", value: (g) => g.sampledBytes, width: 100 },
  { id: "average", header: "Average", type: "bytes", value: (g) => Math.round(g.averageBytes), width: 90 },
  { id: "share", header: "Share", type: "number", value: (g) => g.share, width: 80, render: (g) => `${(g.share * 100).toFixed(1)} %` },
  { id: "estKeys", header: "Est. keys", type: "count", value: (g) => g.estimatedKeys, width: 100 },
  { id: "estBytes", header: "Est. memory", type: "bytes", value: (g) => g.estimatedBytes, width: 110 },
  { id: "types", header: "Types", type: "text", value: (g) => g.kinds.join(", "), width: 120 },
  {
    id: "noTtl",
    header: "No TTL",
    type: "count",
    value: (g) => g.withoutTtl,
    width: 80,
    render: (g) => <span className={g.withoutTtl > 0 ? "warn-text" : ""}>{formatCount(g.withoutTtl)}</span>,
  },
];

/** A key's elements: a hash's fields, a list's items, a sorted set's members with scores. */
function elementColumns(sample: Element | undefined, open: Opener): GridColumn<Element>[] {
  const columns: GridColumn<Element>[] = [];
  if (sample?.name !== null && sample?.name !== undefined) columns.push({ id: "name", header: "Field", type: "text", value: (e) => e.name, width: 200 });
  columns.push({
    id: "value",
    header: "Value",
    type: "text",
    value: (e) => e.value,
    width: 420,
    render: (e) => (
      <>
        {e.value}
        {e.binary && <span className="badge warn">binary</span>}
      </>
    ),
  });
  if (sample?.score !== null && sample?.score !== undefined) columns.push({ id: "score", header: "Score", type: "number", value: (e) => e.score, width: 110 });
  columns.push({ id: "link", header: "Opens", type: "text", value: (e) => (e.link ? `${e.link.kind}:${e.link.id}` : null), width: 140, render: (e) => e.link && <LinkButton link={e.link} open={open} /> });
  return columns;
}

/** Escapes Redis glob characters, as the core's glob_escape does. */
const literal = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** The key list's columns: a long walk lists many thousands, and the grid draws only those in view. */
function keyColumns(clustered: boolean, open: (key: string) => void): GridColumn<KeyRow>[] {
  const columns: GridColumn<KeyRow>[] = [
    {
      id: "key",
      header: "Key",
      type: "text",
      value: (k) => k.key,
      width: 200,
      render: (k) => (
        <>
          <button type="button" className="link" onClick={() => open(k.key)}>
            {k.key}
          </button>
          {k.binary && <span className="badge warn">binary</span>}
        </>
      ),
    },
    { id: "type", header: "Type", type: "text", value: (k) => k.kind, width: 70 },
    { id: "ttl", header: "TTL", type: "number", value: (k) => k.ttlMs, width: 100, render: (k) => ttl(k.ttlMs) },
  ];
  if (clustered) columns.push({ id: "node", header: "Node", type: "text", value: (k) => k.node, width: 140 });
  return columns;
}

function Browser({ profile, open }: { profile: Profile; open: Opener }) {
  const [pattern, setPattern] = useState("user:*");
  const [asText, setAsText] = useState(false);
  const [pageSize, setPageSize] = useState(100);
  const [keys, setKeys] = useState<KeyRow[]>([]);
  const [page, setPage] = useState<ScanPage | null>(null);
  const clustered = (page?.nodes.length ?? 0) > 1;
  const [asking, setAsking] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const effective = asText ? `${literal(pattern)}*` : pattern;

  const scan = async (cursor: string, confirmLarge: boolean, fresh: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const p = await cacheScan(profile.name, { pattern: effective, cursor, pageSize, count: pageSize, confirmLarge });
      if (p.needsConfirmation) {
        setAsking(p.needsConfirmation);
        return;
      }
      setAsking(null);
      setPage(p);
      // Keys already listed stay listed whatever happens to the next page.
      setKeys((k) => (fresh ? p.keys : [...k, ...p.keys.filter((n) => !k.some((o) => o.key === n.key))]));
      if (fresh) setSelected(null);
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" data-testid="cache-browser">
      <div className="card-head">
        <h2>Keys</h2>
        <span className="muted">SCAN only, never KEYS · COUNT = page size (at most 1000), at most 50 calls per page</span>
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void scan("", false, true);
        }}
      >
        <label>
          Pattern <input data-field="pattern" value={pattern} onChange={(e) => setPattern(e.target.value)} placeholder="user:*" />
        </label>
        <label className="check">
          <input type="checkbox" checked={asText} onChange={(e) => setAsText(e.target.checked)} /> literal text (prefix)
        </label>
        <label>
          Page
          <select data-field="page-size" value={pageSize} onChange={(e) => setPageSize(Number(e.target.value))}>
            <option value={50}>50 keys</option>
            <option value={100}>100 keys</option>
            <option value={500}>500 keys</option>
          </select>
        </label>
        <button type="submit" className="primary" data-action="scan" disabled={busy}>
          {busy ? "Scanning…" : "Scan"}
        </button>
      </form>
      {asking && (
        <div className="banner info" data-testid="large-keyspace">
          <p>{asking}</p>
          <button type="button" data-action="scan-anyway" onClick={() => void scan("", true, true)}>
            Scan anyway
          </button>
        </div>
      )}
      {error && <ErrorLine error={error} />}
      {page && (
        <p className="muted" data-testid="scan-summary">
          {keys.length} key{keys.length === 1 ? "" : "s"} listed of {page.keyspace} in the keyspace · last page {page.calls} SCAN call{page.calls === 1 ? "" : "s"}
          {page.stopped ? ` · ${page.stopped}` : ""}
          {page.done ? " · the walk is complete" : ""}
        </p>
      )}
      {page && page.nodes.length > 1 && (
        <table className="mini cluster-masters" data-testid="cluster-masters">
          <thead>
            <tr>
              <th>Master</th>
              <th>Slots</th>
              <th>Keys</th>
              <th>Path</th>
            </tr>
          </thead>
          <tbody>
            {page.nodes.map((n) => (
              <tr key={n.address} data-node={n.address}>
                <td>{n.address}</td>
                <td>{n.slots}</td>
                <td>{n.keys}</td>
                <td className="muted">{n.path}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && keys.length === 0 && page.done && <p className="muted">No key matches `{effective}`.</p>}
      <div className="split">
        {keys.length > 0 && (
          <div className="key-list">
            <div data-testid="key-list">
              <DataGrid
                label="Keys"
                columns={keyColumns(clustered, setSelected)}
                rows={keys}
                height={480}
                sortable={false}
                onOpen={(k) => setSelected(k.key)}
                rowClass={(k) => (selected === k.key ? "selected" : "")}
                rowData={(k) => ({ "data-key": k.key })}
              />
            </div>
            {page && !page.done && (
              <button type="button" data-action="more-keys" disabled={busy} onClick={() => void scan(page.cursor, true, false)}>
                {busy ? "Scanning…" : "More keys"}
              </button>
            )}
          </div>
        )}
        {selected && <KeyPanel key={selected} profile={profile} name={selected} open={open} onGone={() => setKeys((k) => k.filter((x) => x.key !== selected))} />}
      </div>
    </section>
  );
}

function LinkButton({ link, open }: { link: PlatformLink; open: Opener }) {
  const go = () => (link.kind === "user" ? open.user(link.id) : link.kind === "conversation" ? open.conversation(link.id) : open.digitalHuman(link.id));
  return (
    <button type="button" className="link" data-link={`${link.kind}:${link.id}`} onClick={go}>
      → {link.label}
    </button>
  );
}

function KeyPanel({ profile, name, open, onGone }: { profile: Profile; name: string; open: Opener; onGone: () => void }) {
  const [from, setFrom] = useState<string[]>([""]);
  const [change, setChange] = useState<KeyChange | null>(null);
  const [seconds, setSeconds] = useState(3600);
  const [busy, setBusy] = useState(false);
  const toasts = useToasts();
  const client = useQueryClient();
  const operator = may(profile, "redisWrite");
  const at = from[from.length - 1];
  const q = useQuery({ queryKey: ["cache-key", profile.name, name, at], queryFn: () => cacheGet(profile.name, { key: name, from: at, pageSize: 100 }), retry: false });

  const apply = async () => {
    if (!change) return;
    setBusy(true);
    try {
      await cacheChange(profile.name, name, change);
      toasts.info(change.kind === "delete" ? "Key deleted" : "Expiry changed", `${name}; written to operation_logs`);
      setChange(null);
      if (change.kind === "delete") onGone();
      else await client.invalidateQueries({ queryKey: ["cache-key", profile.name, name] });
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
    }
  };

  if (q.isError) return <div className="key-panel card"><ErrorLine error={asUiError(q.error)} /></div>;
  if (!q.data) return <div className="key-panel card"><p className="muted">Opening {name}…</p></div>;
  const v = q.data;
  return (
    <div className="key-panel card" data-testid="key-view" data-kind={v.kind}>
      <div className="card-head">
        <h2 className="sql">{v.key}</h2>
        <span className="badge">{v.kind}</span>
      </div>
      <p className="muted">
        {ttl(v.ttlMs)} · {v.memoryBytes === null ? "memory ?" : formatBytes(v.memoryBytes)} · {v.kind === "string" ? `${v.length} bytes` : `${v.length} elements`}
        {v.binary ? " · binary, shown escaped (\\xNN)" : ""}
        {v.node ? ` · ${v.node}` : ""}
      </p>
      {v.links.length > 0 && (
        <div className="links">
          {v.links.map((l) => (
            <LinkButton key={`${l.kind}${l.id}`} link={l} open={open} />
          ))}
        </div>
      )}
      {v.json !== null && v.json !== undefined ? (
        <pre className="prompt" data-testid="key-json">
          {JSON.stringify(v.json, null, 2)}
        </pre>
      ) : (
        v.text !== null && <pre className="prompt">{v.text}</pre>
      )}
      {v.truncated && <p className="muted">The first 256 KiB of {v.length} bytes.</p>}
      {v.elements.length > 0 && (
        <div data-testid="key-elements">
          <DataGrid label="Elements" columns={elementColumns(v.elements[0], open)} rows={v.elements} height={320} sortable={false} />
        </div>
      )}
      <div className="actions">
        {from.length > 1 && (
          <button type="button" onClick={() => setFrom((f) => f.slice(0, -1))}>
            Previous page
          </button>
        )}
        {v.next && (
          <button type="button" data-action="more-elements" onClick={() => setFrom((f) => [...f, v.next ?? ""])}>
            Next page
          </button>
        )}
        <button type="button" onClick={() => void q.refetch()}>
          Reload
        </button>
        {operator && (
          <>
            <label>
              TTL (s) <input type="number" min={1} value={seconds} onChange={(e) => setSeconds(Math.max(1, Number(e.target.value)))} />
            </label>
            <button type="button" data-action="expire" onClick={() => setChange({ kind: "expire", seconds })}>
              Set expiry
            </button>
            {v.ttlMs >= 0 && (
              <button type="button" onClick={() => setChange({ kind: "persist" })}>
                Remove expiry
              </button>
            )}
            <button type="button" className="danger" data-action="delete-key" onClick={() => setChange({ kind: "delete" })}>
              Delete
            </button>
          </>
        )}
      </div>
      {change && (
        <ConfirmDialog
          title={change.kind === "delete" ? `Delete ${v.key}?` : change.kind === "expire" ? `Expire ${v.key} in ${change.seconds} s?` : `Keep ${v.key} forever?`}
          confirmLabel={change.kind === "delete" ? "Delete" : "Apply"}
          danger={change.kind === "delete"}
          busy={busy}
          onConfirm={() => void apply()}
          onCancel={() => setChange(null)}
        >
          <p>
            {change.kind === "delete"
              ? "UNLINK removes the key now (its memory is freed in the background). The platform rebuilds a cached row on its next read."
              : "The key's time to live changes on the server now."}{" "}
            Written to operation_logs.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function Analysis({ profile }: { profile: Profile }) {
  const [sample, setSample] = useState(10_000);
  const [result, setResult] = useState<MemoryAnalysis | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await cacheAnalyze(profile.name, sample));
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" data-testid="memory-analysis">
      <div className="card-head">
        <h2>Memory by key shape</h2>
        <form
          className="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <label>
            Sample <input type="number" min={100} max={200000} step={1000} value={sample} onChange={(e) => setSample(Number(e.target.value))} /> keys
          </label>
          <button type="submit" data-action="analyze" disabled={busy}>
            {busy ? "Sampling…" : "Analyse"}
          </button>
        </form>
      </div>
      {error && <ErrorLine error={error} />}
      {!result && !error && <p className="muted">Samples keys with SCAN and MEMORY USAGE, then scales the figures to the whole keyspace.</p>}
      {result && (
        <>
          <p className="muted">
            A sample of {result.sampleSize} of {result.keyspace} keys ({formatBytes(result.sampledBytes)}), read in {result.seconds.toFixed(2)} s. Estimates scale the sample up.
          </p>
          <DataGrid label="Memory by key shape" columns={SHAPE_COLUMNS} rows={result.groups} height={320} />
        </>
      )}
    </section>
  );
}
