// Digital humans: find by name, owner, template flag, status, model; the detail of one with
// its persona, voice, prompt, expertise and a searchable knowledge base.
import { useState } from "react";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, digitalHumanAction, findDigitalHumans, findKnowledge, formatTotal, may, showDigitalHuman } from "../../api";
import type { Deleted } from "../../bindings/Deleted";
import type { DigitalHumanAction } from "../../bindings/DigitalHumanAction";
import type { DigitalHumanRow } from "../../bindings/DigitalHumanRow";
import type { DigitalHumanSearch } from "../../bindings/DigitalHumanSearch";
import type { KnowledgeRow } from "../../bindings/KnowledgeRow";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { ListStatus } from "../../components/ListStatus";
import { DELETED_OPTIONS, FilterSelect, STATUS_OPTIONS } from "../../components/FilterSelect";
import { useToasts } from "../../components/Toasts";
import { focusGridOnArrowDown, useDebounced, useKeysetList } from "../../hooks";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatTime } from "../../format";

const COLUMNS: GridColumn<DigitalHumanRow>[] = [
  { id: "id", header: "ID", type: "id", value: (h) => h.id, width: 90 },
  { id: "name", header: "Name", type: "text", value: (h) => h.name, width: 150 },
  { id: "owner", header: "Owner", type: "text", value: (h) => `${h.ownerNickname ?? ""} #${h.userId}`, width: 160 },
  { id: "model", header: "Model", type: "text", value: (h) => h.modelType, width: 70 },
  { id: "personality", header: "Personality", type: "text", value: (h) => h.personality, width: 110 },
  { id: "template", header: "Template", type: "text", value: (h) => (h.isTemplate === 1 ? "yes" : "no"), width: 90 },
  {
    id: "status",
    header: "Status",
    type: "text",
    value: (h) => (h.deletedAt ? "deleted" : h.status === 2 ? "disabled" : "enabled"),
    width: 90,
  },
  { id: "created", header: "Created", type: "text", value: (h) => formatTime(h.createdAt), width: 140 },
];


export function DigitalHumansScreen({
  profile,
  openId,
  onOpen,
  onOpenUser,
}: {
  profile: Profile;
  openId: string | null;
  onOpen: (id: string | null) => void;
  onOpenUser: (id: string) => void;
}) {
  const [text, setText] = useState("");
  const [owner, setOwner] = useState("");
  const [template, setTemplate] = useState("");
  const [status, setStatus] = useState("");
  const [model, setModel] = useState("");
  const [deleted, setDeleted] = useState<Deleted>("hide");
  const [fromReplica, setFromReplica] = useState(false);
  const query = useDebounced(text.trim(), 300);
  const ownerText = useDebounced(owner.trim(), 300);
  const ownerId = /^\d+$/.test(ownerText) ? ownerText : null;
  const replica = profile.replicas.length > 0 && fromReplica;
  const search: DigitalHumanSearch = {
    query: query === "" ? null : query,
    owner: ownerId,
    isTemplate: template === "" ? null : template === "yes",
    status: status === "" ? null : Number(status),
    modelType: model === "" ? null : model,
    deleted,
    limit: 100,
  };
  const { list, rows, first, more } = useKeysetList(["digital-humans", profile.name, search, replica], (after) =>
    findDigitalHumans(profile.name, search, after, replica),
  );

  return (
    <div className={`directory ${openId !== null ? "with-detail" : ""}`}>
      <section aria-label="Digital humans list">
        <div className="searchbar">
          <input
            type="search"
            aria-label="Search digital humans"
            placeholder="A name prefix, or #id"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={focusGridOnArrowDown("Digital humans")}
            autoFocus
          />
          <input
            aria-label="Owner id"
            placeholder="Owner user id"
            inputMode="numeric"
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            style={{ width: 140 }}
          />
          {profile.replicas.length > 0 && (
            <label>
              <input type="checkbox" checked={fromReplica} onChange={(e) => setFromReplica(e.target.checked)} /> Read from replica
            </label>
          )}
        </div>
        {owner.trim() !== "" && ownerId === null && <p className="error">The owner is a user id: digits only.</p>}
        <div className="filters">
          <FilterSelect label="Template" value={template} onChange={setTemplate} options={[["", "any"], ["yes", "templates"], ["no", "personal"]]} />
          <FilterSelect label="Status" value={status} onChange={setStatus} options={STATUS_OPTIONS} />
          <FilterSelect label="Model" value={model} onChange={setModel} options={[["", "any"], ["2d", "2d"], ["3d", "3d"]]} />
          <FilterSelect label="Deleted" value={deleted} onChange={setDeleted} options={DELETED_OPTIONS} />
        </div>
        {list.isError && <ErrorLine error={asUiError(list.error)} />}
        {first && <ListStatus page={first} one="digital human" many="digital humans" replica={replica} />}
        {list.isPending ? (
          <p className="muted">Searching…</p>
        ) : (
          <DataGrid
            columns={COLUMNS}
            rows={rows}
            label="Digital humans"
            height={620}
            sortable={false}
            onOpen={(h) => onOpen(h.id)}
            onEndReached={more}
            rowClass={(h) => (h.deletedAt ? "dim struck" : h.status === 2 ? "dim" : "")}
            empty="No digital humans match."
          />
        )}
        {list.isFetchingNextPage && <p className="muted">Loading more…</p>}
      </section>
      {openId !== null && (
        <DigitalHumanPanel
          key={openId}
          profile={profile}
          id={openId}
          fromReplica={replica}
          onClose={() => onOpen(null)}
          onOpenUser={onOpenUser}
          onChanged={() => void list.refetch()}
        />
      )}
    </div>
  );
}

const KB_COLUMNS: GridColumn<KnowledgeRow>[] = [
  { id: "id", header: "ID", type: "id", value: (k) => k.id, width: 80 },
  { id: "category", header: "Category", type: "text", value: (k) => k.category, width: 100 },
  { id: "title", header: "Title", type: "text", value: (k) => k.title, width: 260 },
  { id: "uses", header: "Used", type: "count", value: (k) => k.useCount, width: 70 },
  { id: "snippet", header: "Content", type: "text", value: (k) => k.snippet, width: 320 },
];

function DigitalHumanPanel({
  profile,
  id,
  fromReplica,
  onClose,
  onOpenUser,
  onChanged,
}: {
  profile: Profile;
  id: string;
  fromReplica: boolean;
  onClose: () => void;
  onOpenUser: (id: string) => void;
  onChanged: () => void;
}) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ["digital-human", profile.name, id, fromReplica],
    queryFn: () => showDigitalHuman(profile.name, id, fromReplica),
    retry: false,
  });
  const [kbText, setKbText] = useState("");
  const [category, setCategory] = useState("");
  const kbQuery = useDebounced(kbText.trim(), 300);
  const kbSearch = { digitalHumanId: id, query: kbQuery === "" ? null : kbQuery, category: category === "" ? null : category, limit: 50 };
  const kb = useKeysetList(["knowledge", profile.name, kbSearch, fromReplica], (after) =>
    findKnowledge(profile.name, kbSearch, after, fromReplica),
  );
  const [pending, setPending] = useState<DigitalHumanAction | null>(null);
  const [busy, setBusy] = useState(false);
  const [entry, setEntry] = useState<KnowledgeRow | null>(null);
  const canChange = may(profile, "directoryChange");
  const d = detail.data;

  const run = async () => {
    if (!pending || !d) return;
    setBusy(true);
    try {
      const o = await digitalHumanAction(profile.name, id, d.digitalHuman.version, pending);
      toasts.info(`${o.action} done`, `operation_logs #${o.auditId}`);
      onChanged();
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
      setPending(null);
      void queryClient.invalidateQueries({ queryKey: ["digital-human", profile.name, id] });
    }
  };
  const kbFirst = kb.first;
  const kbRows = kb.rows;

  return (
    <aside className="detail" aria-label={`Digital human ${id}`} data-testid="dh-detail">
      <div className="detail-head">
        <div>
          <h2>
            {d?.digitalHuman.name ?? `Digital human ${id}`}
            {d?.digitalHuman.isTemplate === 1 && <span className="badge">template</span>}
            {d && (d.digitalHuman.status === 2 ? <span className="badge bad">disabled</span> : <span className="badge good">enabled</span>)}
            {d?.digitalHuman.deletedAt && <span className="badge bad">deleted</span>}
          </h2>
          <p className="muted">
            #{id}
            {d && ` · version ${d.digitalHuman.version} · answered by ${d.answeredBy}`}
          </p>
        </div>
        <button type="button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {detail.isPending && <p className="muted">Loading digital human {id}…</p>}
      {detail.isError && <ErrorLine error={asUiError(detail.error)} />}
      {d && (
        <>
          {canChange && (
            <div className="actions" style={{ justifyContent: "flex-start", marginTop: 10 }}>
              {d.digitalHuman.deletedAt ? (
                <button type="button" data-action="restore-dh" onClick={() => setPending("restore")}>
                  Restore
                </button>
              ) : (
                <button type="button" data-action="delete-dh" onClick={() => setPending("delete")}>
                  Soft-delete
                </button>
              )}
            </div>
          )}
          <dl className="facts">
            <dt>Owner</dt>
            <dd>
              {d.owner ? (
                <button type="button" className="link" onClick={() => onOpenUser(d.digitalHuman.userId)}>
                  {d.owner.nickname ?? "—"} #{d.owner.id}
                </button>
              ) : (
                `#${d.digitalHuman.userId} (missing)`
              )}
              {d.owner && <span className="muted"> · {d.owner.phone}</span>}
            </dd>
            <dt>Model</dt>
            <dd>{d.digitalHuman.modelType ?? "—"}</dd>
            <dt>Persona</dt>
            <dd>
              {d.digitalHuman.personality ?? "—"} · tone {d.digitalHuman.tone ?? "—"}
            </dd>
            <dt>Voice</dt>
            <dd>
              {d.digitalHuman.voiceId ?? "—"} · speed {d.digitalHuman.voiceSpeed ?? "—"} · pitch {d.digitalHuman.voicePitch ?? "—"}
            </dd>
            <dt>Expertise</dt>
            <dd>
              {Array.isArray(d.expertise)
                ? (d.expertise as unknown[]).map((e) => (
                    <span key={String(e)} className="chip">
                      {String(e)}
                    </span>
                  ))
                : (d.digitalHuman.expertise ?? "—")}
            </dd>
            <dt>Conversations</dt>
            <dd>{formatTotal(d.conversations, "conversation", "conversations")}</dd>
            <dt>Created</dt>
            <dd>{formatTime(d.digitalHuman.createdAt)}</dd>
            <dt>Description</dt>
            <dd>{d.digitalHuman.description ?? "—"}</dd>
          </dl>
          <h3>System prompt</h3>
          {d.digitalHuman.systemPrompt ? <pre className="prompt">{d.digitalHuman.systemPrompt}</pre> : <p className="muted">None.</p>}
          <h3>Knowledge base</h3>
          <div className="searchbar">
            <input
              type="search"
              aria-label="Search knowledge"
              placeholder="Words in titles and contents (FULLTEXT); Chinese matched as a substring"
              value={kbText}
              onChange={(e) => setKbText(e.target.value)}
            />
            <select aria-label="Category" value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="">all categories</option>
              {d.knowledgeCategories.map((c) => (
                <option key={c.category ?? ""} value={c.category ?? ""}>
                  {c.category ?? "(none)"} ({c.entries})
                </option>
              ))}
            </select>
          </div>
          {kb.list.isError && <ErrorLine error={asUiError(kb.list.error)} />}
          {kbFirst && <ListStatus page={kbFirst} one="entry" many="entries" brief />}
          <DataGrid
            columns={KB_COLUMNS}
            rows={kbRows}
            label="Knowledge base"
            height={260}
            sortable={false}
            onOpen={setEntry}
            onEndReached={kb.more}
            empty={kb.list.isPending ? "Loading…" : "No entries."}
          />
          {entry && (
            <div className="card" data-testid="knowledge-entry" style={{ marginTop: 10 }}>
              <div className="detail-head">
                <strong>{entry.title}</strong>
                <button type="button" aria-label="Close entry" onClick={() => setEntry(null)}>
                  ×
                </button>
              </div>
              <p className="muted">
                #{entry.id} · {entry.category ?? "no category"} · {entry.source ?? "—"} · priority {entry.priority ?? 0} · used{" "}
                {entry.useCount ?? 0} times · updated {formatTime(entry.updatedAt)}
              </p>
              {entry.keywords && (
                <p>
                  {entry.keywords.split(",").map((k) => (
                    <span key={k} className="chip">
                      {k}
                    </span>
                  ))}
                </p>
              )}
              <p>{entry.snippet}</p>
            </div>
          )}
        </>
      )}
      {pending && d && (
        <ConfirmDialog
          title={`${pending === "delete" ? "Soft-delete" : "Restore"} digital human ${id}?`}
          confirmLabel={pending === "delete" ? "Delete" : "Restore"}
          danger={pending === "delete"}
          busy={busy}
          onConfirm={() => void run()}
          onCancel={() => setPending(null)}
        >
          <p>
            {pending === "delete"
              ? "The row stays (deleted_at is set) and can be restored."
              : "deleted_at is cleared; the digital human is visible again."}
          </p>
          <p className="muted">Applied only if the row is still at version {d.digitalHuman.version}. Recorded in operation_logs.</p>
        </ConfirmDialog>
      )}
    </aside>
  );
}
