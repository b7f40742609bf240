import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { asUiError, exportAudit, findAudit } from "../../api";
import type { AuditRow } from "../../bindings/AuditRow";
import type { AuditSearch } from "../../bindings/AuditSearch";
import type { FieldChange } from "../../bindings/FieldChange";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { ListStatus } from "../../components/ListStatus";
import { useToasts } from "../../components/Toasts";
import { useDebounced, useKeysetList } from "../../hooks";
import { ErrorLine } from "../overview/OverviewScreen";

const COLUMNS: GridColumn<AuditRow>[] = [
  { id: "id", header: "#", type: "id", value: (r) => r.id, width: 80 },
  { id: "at", header: "When", type: "text", value: (r) => r.createdAt, width: 170 },
  { id: "operator", header: "Operator", type: "text", value: (r) => r.operator, width: 120 },
  { id: "action", header: "Action", type: "text", value: (r) => r.action, width: 200 },
  { id: "resource", header: "Resource", type: "text", value: (r) => `${r.resourceType}${r.resourceId ? ` #${r.resourceId}` : ""}`, width: 180 },
  { id: "host", header: "From", type: "text", value: (r) => r.clientHost, width: 140 },
];

type Links = { user: (id: string) => void; digitalHuman: (id: string) => void; conversation: (id: string) => void; backup: () => void };

const show = (v: unknown) => (v === undefined ? "—" : JSON.stringify(v));

/** `details.before` and `details.after`, field by field as the core compared them, the changed ones marked. */
function Diff({ changes }: { changes: FieldChange[] }) {
  if (changes.length === 0) return null;
  return (
    <table className="audit-diff" data-testid="audit-diff">
      <thead>
        <tr>
          <th>Field</th>
          <th>Before</th>
          <th>After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field} className={c.changed ? "changed" : ""} data-field={c.field} data-changed={c.changed}>
            <td>{c.field}</td>
            <td>{show(c.before)}</td>
            <td>{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Who changed what, and from where: `operation_logs`, newest first, in keyset pages. */
export function AuditScreen({ profile, open }: { profile: Profile; open: Links }) {
  const [operator, setOperator] = useState("");
  const [action, setAction] = useState("");
  const [resourceType, setResourceType] = useState("");
  const [resourceId, setResourceId] = useState("");
  const [host, setHost] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [chosen, setChosen] = useState<AuditRow | null>(null);
  // One string, so the debounce compares by value (a new object each render never settles).
  const typed = JSON.parse(useDebounced(JSON.stringify({ operator, action, resourceType, resourceId, host }), 250)) as {
    operator: string;
    action: string;
    resourceType: string;
    resourceId: string;
    host: string;
  };
  const idOk = typed.resourceId.trim() === "" || /^#?\d{1,18}$/.test(typed.resourceId.trim());
  const search: AuditSearch = {
    operator: typed.operator.trim() || null,
    action: typed.action.trim() || null,
    resourceType: typed.resourceType.trim() || null,
    resourceId: idOk && typed.resourceId.trim() ? typed.resourceId.trim().replace("#", "") : null,
    clientHost: typed.host.trim() || null,
    from: from || null,
    to: to || null,
    limit: 100,
  };
  const { list, rows, first, more } = useKeysetList(["audit", profile.name, search], (after) => findAudit(profile.name, search, after));

  const toasts = useToasts();
  // Every match, all pages, written by the shell to the Downloads folder.
  const exporting = useMutation({
    mutationFn: (json: boolean) => exportAudit(profile.name, search, json),
    onSuccess: (path) => toasts.info("Audit trail exported", path),
    onError: (e) => toasts.error(asUiError(e)),
  });

  const link = (r: AuditRow) => {
    if (!r.resourceId) return r.resourceType === "backup" ? { label: "Open Backup", go: open.backup } : null;
    const id = r.resourceId;
    if (r.resourceType === "user") return { label: `Open user #${id}`, go: () => open.user(id) };
    if (r.resourceType === "digital_human") return { label: `Open digital human #${id}`, go: () => open.digitalHuman(id) };
    if (r.resourceType === "conversation") return { label: `Open conversation #${id}`, go: () => open.conversation(id) };
    return null;
  };
  const target = chosen ? link(chosen) : null;

  return (
    <div className={`directory ${chosen ? "with-detail" : ""}`}>
      <section aria-label="Audit trail">
        <div className="filters audit-filters">
          <input aria-label="Operator" placeholder="Operator" value={operator} onChange={(e) => setOperator(e.target.value)} />
          <input aria-label="Action" placeholder="Action prefix, e.g. user." value={action} onChange={(e) => setAction(e.target.value)} autoFocus />
          <input aria-label="Resource type" placeholder="Resource type" value={resourceType} onChange={(e) => setResourceType(e.target.value)} />
          <input aria-label="Resource id" placeholder="Resource id" inputMode="numeric" value={resourceId} onChange={(e) => setResourceId(e.target.value)} style={{ width: 110 }} />
          <input aria-label="Client host" placeholder="From host" value={host} onChange={(e) => setHost(e.target.value)} />
          <label>
            from <input type="date" aria-label="From day" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            to <input type="date" aria-label="To day" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="button" onClick={() => exporting.mutate(false)} disabled={rows.length === 0 || exporting.isPending} data-action="audit-export-csv">
            Export CSV
          </button>
          <button type="button" onClick={() => exporting.mutate(true)} disabled={rows.length === 0 || exporting.isPending}>
            Export JSON
          </button>
        </div>
        {!idOk && <p className="error">The resource id is a number.</p>}
        {list.isError && <ErrorLine error={asUiError(list.error)} />}
        {first && <ListStatus page={first} one="change" many="changes" />}
        {exporting.isPending && <p className="muted">Exporting every match…</p>}
        {exporting.data && (
          <p className="muted" data-testid="audit-export-path">
            exported to {exporting.data}
          </p>
        )}
        {list.isPending ? (
          <p className="muted">Reading the trail…</p>
        ) : (
          <DataGrid
            columns={COLUMNS}
            rows={rows}
            label="Audit trail"
            height={600}
            sortable={false}
            onOpen={setChosen}
            onEndReached={more}
            empty="No changes match."
          />
        )}
        {list.isFetchingNextPage && <p className="muted">Loading more…</p>}
      </section>
      {chosen && (
        <aside className="card detail" aria-label={`Change ${chosen.id}`} data-testid="audit-detail">
          <div className="card-head">
            <h2>
              {chosen.action} <span className="muted">#{chosen.id}</span>
            </h2>
            <button type="button" onClick={() => setChosen(null)} aria-label="Close">
              Close
            </button>
          </div>
          <p>
            {chosen.createdAt} · {chosen.operator ?? "the platform"} from {chosen.clientHost ?? "?"} · {chosen.userAgent ?? ""}
          </p>
          <p>
            {chosen.resourceType}
            {chosen.resourceId ? ` #${chosen.resourceId}` : ""}{" "}
            {target && (
              <button type="button" onClick={target.go} data-action="audit-open-resource">
                {target.label}
              </button>
            )}
          </p>
          <Diff changes={chosen.changes} />
          <details open={!(chosen.details as { before?: unknown } | null)?.before}>
            <summary>Details as recorded</summary>
            <pre className="audit-json">{JSON.stringify(chosen.details, null, 2)}</pre>
          </details>
        </aside>
      )}
    </div>
  );
}
