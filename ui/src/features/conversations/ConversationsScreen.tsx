// Conversation review: the finder on the left, the open conversation on the right (its
// emotion timeline, its thread, its context beside Redis, its reviews and the review form).
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, exportConversation, findConversations, findInThread, may, queueNext, queueRelease, showConversation } from "../../api";
import type { Claim } from "../../bindings/Claim";
import type { ConversationDetail } from "../../bindings/ConversationDetail";
import type { ConversationRow } from "../../bindings/ConversationRow";
import type { ConversationSearch } from "../../bindings/ConversationSearch";
import type { ExportFormat } from "../../bindings/ExportFormat";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { Verdict } from "../../bindings/Verdict";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import { ListStatus } from "../../components/ListStatus";
import { FilterSelect } from "../../components/FilterSelect";
import { useToasts } from "../../components/Toasts";
import { useDebounced, useKeysetList } from "../../hooks";
import { ErrorLine } from "../overview/OverviewScreen";
import { EmotionChart } from "./EmotionChart";
import { ThreadView, type Jump } from "./ThreadView";
import { CountNow } from "./CountNow";
import { ClaimBanner, FILTERS, QueueBar, sourceOf, useClaim, type QueueChoice } from "./ReviewQueue";
import { formatDuration, formatTime } from "../../format";
import { ReviewForm, VERDICTS } from "./ReviewForm";

const COLUMNS: GridColumn<ConversationRow>[] = [
  { id: "id", header: "ID", type: "id", value: (c) => c.id, width: 80 },
  { id: "title", header: "Title", type: "text", value: (c) => c.title, width: 170 },
  { id: "user", header: "User", type: "text", value: (c) => `${c.userNickname ?? ""} #${c.userId}`, width: 130 },
  { id: "messages", header: "Msgs", type: "count", value: (c) => c.messageCount, width: 70 },
  { id: "last", header: "Last message", type: "text", value: (c) => formatTime(c.lastMessageAt), width: 140 },
  { id: "satisfaction", header: "Sat", type: "number", value: (c) => c.userSatisfaction, width: 50 },
  { id: "verdict", header: "Verdict", type: "text", value: (c) => c.verdict, width: 120 },
];


/** An id typed into a filter, kept as its digits: ids are 64-bit and a JS number would round them. */
const idText = (s: string) => (/^\s*\d+\s*$/.test(s) ? s.trim() : null);
const num = (s: string) => (s.trim() === "" || Number.isNaN(Number(s)) ? null : Number(s));
const text = (s: string) => (s.trim() === "" ? null : s.trim());

export function ConversationsScreen({
  profile,
  openId,
  onOpen,
  onOpenUser,
  onOpenDigitalHuman,
}: {
  profile: Profile;
  openId: string | null;
  onOpen: (id: string | null) => void;
  onOpenUser: (id: string) => void;
  onOpenDigitalHuman: (id: string) => void;
}) {
  const [f, setF] = useState({
    user: "",
    dh: "",
    status: "",
    from: "",
    to: "",
    maxSatisfaction: "",
    emotion: "",
    minQualityBelow: "",
    avgQualityBelow: "",
    minMessages: "",
    maxMessages: "",
    reviewed: "",
    verdict: "",
    tag: "",
    text: "",
  });
  const set = (k: keyof typeof f) => (v: string) => setF((x) => ({ ...x, [k]: v }));
  const settled = useDebounced(f, 300);
  const [fromReplica, setFromReplica] = useState(false);
  const replica = profile.replicas.length > 0 && fromReplica;
  const search: ConversationSearch = {
    userId: idText(settled.user),
    digitalHumanId: idText(settled.dh),
    status: text(settled.status),
    lastMessageFrom: text(settled.from),
    lastMessageTo: text(settled.to),
    maxSatisfaction: num(settled.maxSatisfaction),
    userEmotion: text(settled.emotion),
    minQualityBelow: num(settled.minQualityBelow),
    avgQualityBelow: num(settled.avgQualityBelow),
    minMessages: num(settled.minMessages),
    maxMessages: num(settled.maxMessages),
    reviewed: settled.reviewed === "" ? null : settled.reviewed === "yes",
    verdict: settled.verdict === "" ? null : (settled.verdict as Verdict),
    tag: text(settled.tag),
    text: text(settled.text),
    limit: 100,
  };
  const { list, rows, first, more } = useKeysetList(["conversations", profile.name, search, replica], (after) =>
    findConversations(profile.name, search, after, replica),
  );
  const input = (k: keyof typeof f, label: string, props: Record<string, string> = {}) => (
    <label>
      {label}
      <input aria-label={label} value={f[k]} onChange={(e) => set(k)(e.target.value)} {...props} />
    </label>
  );
  const toasts = useToasts();
  const [queue, setQueue] = useState<QueueChoice>(FILTERS);
  const [starting, setStarting] = useState(false);
  /** Claims the next conversation of the queue (these filters, not reviewed yet, or a named
   * sample) and opens it: nobody else is offered it while it is open. */
  const next = async (): Promise<Claim | null> => {
    const claim = await queueNext(profile.name, sourceOf(queue, { kind: "filters", search: { ...search, reviewed: false } }));
    onOpen(claim ? claim.conversationId : null);
    void list.refetch();
    return claim;
  };
  const start = async () => {
    setStarting(true);
    try {
      if (!(await next())) toasts.info("Nothing to review", queue === FILTERS ? "No unreviewed conversation matches these filters that nobody holds." : `Queue ${queue} has nothing left for you.`);
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <div className="conversations">
      <section aria-label="Conversation finder" className="finder" hidden={openId !== null}>
        <div className="filters conv-filters">
          {input("text", "Title or summary", { type: "search", name: "conversation-text", placeholder: "words" })}
          <FilterSelect
            label="User emotion"
            value={f.emotion}
            onChange={set("emotion")}
            options={[["", "any"], ["angry", "angry"], ["sad", "sad"], ["anxious", "anxious"], ["happy", "happy"], ["neutral", "neutral"]]}
          />
          <FilterSelect
            label="Satisfaction"
            value={f.maxSatisfaction}
            onChange={set("maxSatisfaction")}
            options={[["", "any"], ["1", "≤ 1"], ["2", "≤ 2"], ["3", "≤ 3"]]}
          />
          <FilterSelect
            label="Reviewed"
            value={f.reviewed}
            onChange={set("reviewed")}
            options={[["", "either"], ["no", "not yet"], ["yes", "reviewed"]]}
          />
          <FilterSelect label="Verdict" value={f.verdict} onChange={set("verdict")} options={[["", "any"], ...VERDICTS.map(([v, w]) => [v, w] as [string, string])]} />
          {input("tag", "Tag")}
          <FilterSelect
            label="Status"
            value={f.status}
            onChange={set("status")}
            options={[["", "any"], ["active", "active"], ["archived", "archived"], ["deleted", "deleted"]]}
          />
          {input("user", "User id", { inputMode: "numeric" })}
          {input("dh", "Digital human id", { inputMode: "numeric" })}
          {input("from", "Last message from", { type: "date" })}
          {input("to", "to", { type: "date" })}
          {input("minQualityBelow", "Some score below", { placeholder: "0.3" })}
          {input("avgQualityBelow", "Average score below", { placeholder: "0.5" })}
          {input("minMessages", "Messages ≥")}
          {input("maxMessages", "≤")}
          {profile.replicas.length > 0 && (
            <label>
              <input type="checkbox" checked={fromReplica} onChange={(e) => setFromReplica(e.target.checked)} /> Read from replica
            </label>
          )}
        </div>
        {may(profile, "review") && <QueueBar profile={profile} choice={queue} onChoose={setQueue} onStart={() => void start()} busy={starting} />}
        {list.isError && <ErrorLine error={asUiError(list.error)} />}
        {first && <ListStatus page={first} one="conversation" many="conversations" replica={replica} />}
        {first && !first.total && <CountNow key={JSON.stringify([search, replica])} profile={profile.name} search={search} fromReplica={replica} />}
        {list.isPending ? (
          <p className="muted">Searching…</p>
        ) : (
          <DataGrid
            columns={COLUMNS}
            rows={rows}
            label="Conversations"
            height={560}
            sortable={false}
            onOpen={(c) => onOpen(c.id)}
            onEndReached={more}
            rowClass={(c) => (c.verdict ? "dim" : "")}
            empty="No conversations match."
          />
        )}
      </section>
      {openId !== null && (
        <ConversationPanel
          key={openId}
          profile={profile}
          id={openId}
          fromReplica={replica}
          onClose={() => onOpen(null)}
          onOpenUser={onOpenUser}
          onOpenDigitalHuman={onOpenDigitalHuman}
          onReviewed={() => void list.refetch()}
          onNext={next}
        />
      )}
    </div>
  );
}

function ConversationPanel({
  profile,
  id,
  fromReplica,
  onClose,
  onOpenUser,
  onOpenDigitalHuman,
  onReviewed,
  onNext,
}: {
  profile: Profile;
  id: string;
  fromReplica: boolean;
  onClose: () => void;
  onOpenUser: (id: string) => void;
  onOpenDigitalHuman: (id: string) => void;
  onReviewed: () => void;
  onNext: () => Promise<Claim | null>;
}) {
  const toasts = useToasts();
  const [saved, setSaved] = useState(false);
  const claim = useClaim(profile, id, !saved);
  const skip = async () => {
    try {
      await queueRelease(profile.name, id, "skipped");
      if (!(await onNext())) toasts.info("Queue empty", "Nothing else to review here.");
    } catch (e) {
      toasts.error(asUiError(e));
    }
  };
  const detail = useQuery({
    queryKey: ["conversation", profile.name, id, fromReplica],
    queryFn: () => showConversation(profile.name, id, fromReplica),
    retry: false,
  });
  const [jump, setJump] = useState<Jump | null>(null);
  const go = (to: string | "end") => setJump((j) => ({ to, seq: (j?.seq ?? 0) + 1 }));
  const [findText, setFindText] = useState("");
  const [found, setFound] = useState<{ ids: string[]; at: number } | null>(null);
  const d = detail.data;

  const find = async () => {
    if (!findText.trim()) return setFound(null);
    try {
      const ids = await findInThread(profile.name, id, findText, fromReplica);
      setFound({ ids, at: 0 });
      if (ids.length) go(ids[0]);
    } catch (e) {
      toasts.error(asUiError(e));
    }
  };
  const step = (by: number) => {
    if (!found || found.ids.length === 0) return;
    const at = (found.at + by + found.ids.length) % found.ids.length;
    setFound({ ...found, at });
    go(found.ids[at]);
  };
  const save = async (format: ExportFormat) => {
    try {
      const path = await exportConversation(profile.name, id, format);
      toasts.info("Exported", path);
    } catch (e) {
      toasts.error(asUiError(e));
    }
  };

  return (
    <section
      className="detail conversation"
      aria-label={`Conversation ${id}`}
      data-testid="conversation-detail"
      onKeyDown={(e) => {
        // Escape goes back to the list, unless it is closing something inside (a field's text).
        if (e.key === "Escape" && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) onClose();
      }}
    >
      <div className="detail-head">
        <div>
          <h2>
            {d?.conversation.title ?? `Conversation ${id}`}
            {d?.conversation.userSatisfaction != null && (
              <span className={`badge ${d.conversation.userSatisfaction <= 2 ? "bad" : ""}`}>
                satisfaction {d.conversation.userSatisfaction}/5
              </span>
            )}
            {d?.reviews[0] && <span className="badge good">{d.reviews[0].verdict}</span>}
            {d?.masked && <span className="badge warn">PII masked</span>}
          </h2>
          {d && (
            <p className="muted">
              #{id} · {d.conversation.userNickname ?? "user"} with {d.conversation.digitalHumanName ?? "digital human"} ·{" "}
              {d.storedMessages.toLocaleString("en-US")} messages · {d.conversation.status} · answered by {d.answeredBy}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="button" data-action="back-to-list" onClick={onClose}>
            ← List
          </button>
          {claim.data?.mine && !saved && (
            <button type="button" data-action="skip" title="Pass it on: not offered to you again" onClick={() => void skip()}>
              Skip
            </button>
          )}
          {(["md", "json", "csv"] as ExportFormat[]).map((fmt) => (
            <button key={fmt} type="button" data-action={`export-${fmt}`} onClick={() => void save(fmt)}>
              {fmt === "md" ? "Markdown" : fmt.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      <ClaimBanner claim={claim} saved={saved} />
      {detail.isPending && <p className="muted">Loading conversation {id}…</p>}
      {detail.isError && <ErrorLine error={asUiError(detail.error)} />}
      {d && (
        <>
          <EmotionChart points={d.emotions} totals={d.emotionTotals} onJump={(m) => go(m)} />
          <div className="thread-tools">
            <button type="button" onClick={() => go(d.firstAngryMessage ?? "end")} disabled={d.firstAngryMessage === null} data-action="jump-angry">
              First angry
            </button>
            <button type="button" onClick={() => go(d.lowestScoreMessage ?? "end")} disabled={d.lowestScoreMessage === null} data-action="jump-lowest">
              Lowest score
            </button>
            <button type="button" onClick={() => go("end")} data-action="jump-end">
              End
            </button>
            <input
              type="search"
              aria-label="Find in thread"
              placeholder="Find in thread"
              value={findText}
              onChange={(e) => {
                setFindText(e.target.value);
                setFound(null);
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  if (found && found.ids.length) step(e.shiftKey ? -1 : 1);
                  else void find();
                }
              }}
            />
            {found && (
              <span className="muted">
                {found.ids.length === 0 ? "no match" : `${found.at + 1} of ${found.ids.length}${found.ids.length >= 500 ? "+" : ""}`}
              </span>
            )}
          </div>
          <div className="conversation-body">
            <ThreadView
              profile={profile.name}
              conversation={id}
              fromReplica={fromReplica}
              jump={jump}
              matches={new Set(found?.ids ?? [])}
            />
            <aside className="conversation-side">
              <section aria-label="People" className="people">
                <h3>People</h3>
                <p>
                  <button type="button" className="link" data-action="open-user" onClick={() => onOpenUser(d.conversation.userId)}>
                    {d.conversation.userNickname ?? "user"} #{d.conversation.userId}
                  </button>{" "}
                  <span className="muted">{d.conversation.userPhone ?? ""}</span>
                </p>
                <p>
                  <button
                    type="button"
                    className="link"
                    data-action="open-digital-human"
                    onClick={() => onOpenDigitalHuman(d.conversation.digitalHumanId)}
                  >
                    {d.conversation.digitalHumanName ?? "digital human"} #{d.conversation.digitalHumanId}
                  </button>
                </p>
              </section>
              <ReviewForm
                profile={profile}
                d={d}
                onSaved={(andNext) => {
                  setSaved(true);
                  onReviewed();
                  void detail.refetch();
                  if (andNext)
                    onNext().then(
                      (n) => {
                        if (!n) toasts.info("Queue empty", "Nothing left to review that nobody holds.");
                      },
                      (e: unknown) => toasts.error(asUiError(e)),
                    );
                }}
              />
              <Context d={d} />
            </aside>
          </div>
        </>
      )}
    </section>
  );
}

function Context({ d }: { d: ConversationDetail }) {
  const cc = d.cachedContext;
  return (
    <section aria-label="Context">
      <h3>Context</h3>
      {d.context === null ? <p className="muted">No context in the database.</p> : <pre className="prompt">{JSON.stringify(d.context, null, 2)}</pre>}
      {d.cacheError && <ErrorLine error={{ ...d.cacheError, fields: [] }} />}
      {cc && (
        <div data-testid="cached-context">
          <p>
            <code>{cc.key}</code>{" "}
            {cc.cached === null ? (
              <span className="muted">not cached</span>
            ) : (
              <span className="muted">TTL {formatDuration(cc.ttlSeconds * 1000)}</span>
            )}
          </p>
          {cc.fields.length > 0 && (
            <table className="mini">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>Redis</th>
                  <th>Database</th>
                </tr>
              </thead>
              <tbody>
                {cc.fields.map((f) => (
                  <tr key={f.field} className={f.matches ? "" : "mismatch"}>
                    <td>{f.field}</td>
                    <td>{JSON.stringify(f.cached)}</td>
                    <td>{f.database === null ? <span className="muted">absent</span> : JSON.stringify(f.database)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
