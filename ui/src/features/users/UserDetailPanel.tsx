// One user: profile, Redis entries beside the row, digital humans, recent conversations,
// 30-day emotions, preferences; and, for operator profiles, the guarded actions.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, findUserTokens, invalidateUserCache, may, showUser, userAction } from "../../api";
import type { CachedEntry } from "../../bindings/CachedEntry";
import type { OwnedDigitalHuman } from "../../bindings/OwnedDigitalHuman";
import type { RecentConversation } from "../../bindings/RecentConversation";
import { DataGrid, type GridColumn } from "../../components/DataGrid";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { TokenScan } from "../../bindings/TokenScan";
import type { UiError } from "../../bindings/UiError";
import type { UserAction } from "../../bindings/UserAction";
import type { UserDetail } from "../../bindings/UserDetail";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { formatDuration, formatTime } from "../../format";

const GENDER: Record<number, string> = { 0: "unknown", 1: "male", 2: "female" };

type Pending = { kind: "user"; action: UserAction } | { kind: "cache" };

const ACTION_WORDS: Record<UserAction, { title: string; verb: string; why: string; danger: boolean }> = {
  disable: { title: "Disable", verb: "Disable", why: "They cannot log in or chat until enabled again.", danger: true },
  enable: { title: "Enable", verb: "Enable", why: "They can log in and chat again.", danger: false },
  delete: { title: "Soft-delete", verb: "Delete", why: "The row stays (deleted_at is set) and can be restored.", danger: true },
  restore: { title: "Restore", verb: "Restore", why: "deleted_at is cleared; the user is visible again.", danger: false },
};

export function UserDetailPanel({
  profile,
  id,
  fromReplica,
  onClose,
  onOpenDigitalHuman,
  onChanged,
}: {
  profile: Profile;
  id: string;
  fromReplica: boolean;
  onClose: () => void;
  onOpenDigitalHuman: (id: string) => void;
  onChanged: () => void;
}) {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ["user", profile.name, id, fromReplica],
    queryFn: () => showUser(profile.name, id, fromReplica),
    retry: false,
  });
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [tokens, setTokens] = useState<TokenScan | "loading" | UiError | null>(null);
  const canChange = may(profile, "directoryChange");

  const run = async () => {
    if (!pending || !detail.data) return;
    setBusy(true);
    try {
      const outcome =
        pending.kind === "user"
          ? await userAction(profile.name, id, detail.data.user.version, pending.action)
          : await invalidateUserCache(profile.name, id);
      const cache = outcome.cacheKeysDeleted.length ? ` · deleted ${outcome.cacheKeysDeleted.join(", ")}` : "";
      toasts.info(`${outcome.action} done`, `operation_logs #${outcome.auditId}${cache}`);
      if (outcome.cacheError) toasts.error({ ...outcome.cacheError, fields: [] });
      onChanged();
    } catch (e) {
      toasts.error(asUiError(e));
    } finally {
      setBusy(false);
      setPending(null);
      // Re-read either way: after a conflict the panel shows the row as it is now.
      void queryClient.invalidateQueries({ queryKey: ["user", profile.name, id] });
    }
  };

  const lookTokens = () => {
    setTokens("loading");
    findUserTokens(profile.name, id).then(setTokens, (e) => setTokens(asUiError(e)));
  };

  return (
    <aside className="detail" aria-label={`User ${id}`} data-testid="user-detail">
      <div className="detail-head">
        <div>
          <h2>
            {detail.data?.user.nickname ?? `User ${id}`}
            {detail.data && <StatusBadges d={detail.data} />}
          </h2>
          <p className="muted">
            #{id}
            {detail.data && ` · version ${detail.data.user.version} · answered by ${detail.data.answeredBy}`}
          </p>
        </div>
        <button type="button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {detail.isPending && <p className="muted">Loading user {id}…</p>}
      {detail.isError && <ErrorLine error={asUiError(detail.error)} />}
      {detail.data && (
        <>
          {canChange && (
            <div className="actions" style={{ justifyContent: "flex-start", marginTop: 10 }}>
              {detail.data.user.status === 2 ? (
                <button type="button" data-action="enable-user" onClick={() => setPending({ kind: "user", action: "enable" })}>
                  Enable
                </button>
              ) : (
                <button type="button" data-action="disable-user" onClick={() => setPending({ kind: "user", action: "disable" })}>
                  Disable
                </button>
              )}
              {detail.data.user.deletedAt ? (
                <button type="button" data-action="restore-user" onClick={() => setPending({ kind: "user", action: "restore" })}>
                  Restore
                </button>
              ) : (
                <button type="button" data-action="delete-user" onClick={() => setPending({ kind: "user", action: "delete" })}>
                  Soft-delete
                </button>
              )}
              {profile.redis && (
                <button type="button" data-action="invalidate-cache" onClick={() => setPending({ kind: "cache" })}>
                  Invalidate cache
                </button>
              )}
            </div>
          )}
          <Facts d={detail.data} />
          <RedisSection d={detail.data} tokens={tokens} onFindTokens={profile.redis ? lookTokens : null} />
          <h3>Digital humans ({detail.data.digitalHumans.length})</h3>
          {detail.data.digitalHumans.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <div data-testid="user-digital-humans">
              <DataGrid label="Digital humans" columns={ownedColumns(onOpenDigitalHuman)} rows={detail.data.digitalHumans} height={240} rowData={(h) => ({ "data-dh": h.id })} />
            </div>
          )}
          <h3>Conversations ({detail.data.conversationCount.toLocaleString("en-US")})</h3>
          {detail.data.recentConversations.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <DataGrid label="Recent conversations" columns={RECENT_COLUMNS} rows={detail.data.recentConversations} height={240} sortable={false} />
          )}
          <h3>Emotions, last 30 days</h3>
          <Emotions d={detail.data} />
          <h3>Preferences ({detail.data.preferences.length})</h3>
          {detail.data.preferences.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <dl className="facts">
              {detail.data.preferences.map((p) => (
                <div key={p.key} style={{ display: "contents" }}>
                  <dt>{p.key}</dt>
                  <dd>
                    <code>{p.value}</code> <span className="muted">{p.source}</span>
                  </dd>
                </div>
              ))}
            </dl>
          )}
        </>
      )}
      {pending && detail.data && (
        <ConfirmDialog
          title={
            pending.kind === "user"
              ? `${ACTION_WORDS[pending.action].title} user ${id}?`
              : `Invalidate the cache of user ${id}?`
          }
          confirmLabel={pending.kind === "user" ? ACTION_WORDS[pending.action].verb : "Invalidate"}
          danger={pending.kind === "user" && ACTION_WORDS[pending.action].danger}
          busy={busy}
          onConfirm={() => void run()}
          onCancel={() => setPending(null)}
        >
          <p>
            {pending.kind === "user"
              ? ACTION_WORDS[pending.action].why
              : "user:" + id + " and dashboard:stats:" + id + " are deleted; the platform rebuilds them from the database on the next read."}
          </p>
          <p className="muted">
            {pending.kind === "user"
              ? `Applied only if the row is still at version ${detail.data.user.version}; then its cache entries are deleted. `
              : ""}
            Recorded in operation_logs.
          </p>
        </ConfirmDialog>
      )}
    </aside>
  );
}

function ownedColumns(open: (id: string) => void): GridColumn<OwnedDigitalHuman>[] {
  return [
    {
      id: "name",
      header: "Name",
      type: "text",
      value: (h) => h.name,
      width: 150,
      render: (h) => (
        <button type="button" className="link" onClick={() => open(h.id)}>
          {h.name}
        </button>
      ),
    },
    { id: "id", header: "Id", type: "id", value: (h) => Number(h.id), width: 70 },
    { id: "model", header: "Model", type: "text", value: (h) => h.modelType, width: 110 },
    { id: "personality", header: "Personality", type: "text", value: (h) => h.personality, width: 110 },
    {
      id: "state",
      header: "",
      type: "text",
      value: (h) => [h.isTemplate === 1 ? "template" : "", h.status === 2 ? "disabled" : "", h.deletedAt ? "deleted" : ""].filter(Boolean).join(" "),
      width: 150,
      render: (h) => (
        <>
          {h.isTemplate === 1 && <span className="badge">template</span>}
          {h.status === 2 && <span className="badge bad">disabled</span>}
          {h.deletedAt && <span className="badge bad">deleted</span>}
        </>
      ),
    },
  ];
}

const RECENT_COLUMNS: GridColumn<RecentConversation>[] = [
  { id: "title", header: "Title", type: "text", value: (c) => c.title ?? `#${c.id}`, width: 170 },
  { id: "with", header: "With", type: "text", value: (c) => c.digitalHumanName, width: 110 },
  { id: "messages", header: "Messages", type: "count", value: (c) => c.messageCount, width: 90 },
  { id: "last", header: "Last message", type: "text", value: (c) => formatTime(c.lastMessageAt), width: 140 },
  {
    id: "satisfaction",
    header: "Satisfaction",
    type: "number",
    value: (c) => c.userSatisfaction,
    width: 100,
    render: (c) => <span className={c.userSatisfaction !== null && c.userSatisfaction <= 2 ? "error" : ""}>{c.userSatisfaction ?? "—"}</span>,
  },
];

function StatusBadges({ d }: { d: UserDetail }) {
  return (
    <>
      {d.user.status === 2 ? <span className="badge bad">disabled</span> : <span className="badge good">enabled</span>}
      {d.user.deletedAt && <span className="badge bad">deleted {formatTime(d.user.deletedAt)}</span>}
      {d.user.role === "admin" && <span className="badge">admin</span>}
      {d.masked && <span className="badge warn">PII masked</span>}
    </>
  );
}

function Facts({ d }: { d: UserDetail }) {
  const u = d.user;
  const rows: [string, string][] = [
    ["Phone", u.phone],
    ["Email", u.email ?? "—"],
    ["Gender", GENDER[u.gender ?? 0] ?? "—"],
    ["Birthday", u.birthday ?? "—"],
    ["Role", u.role ?? "—"],
    ["Password", u.hasPassword ? "set" : "not set"],
    ["Created", formatTime(u.createdAt)],
    ["Updated", formatTime(u.updatedAt)],
    ["Last login", `${formatTime(u.lastLoginAt)}${u.lastLoginIp ? ` from ${u.lastLoginIp}` : ""}`],
    ["Bio", u.bio ?? "—"],
  ];
  return (
    <dl className="facts" data-testid="user-facts">
      {rows.map(([k, v]) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd data-field={k.toLowerCase()}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

function Entry({ label, entry }: { label: string; entry: CachedEntry | null }) {
  if (!entry) {
    return (
      <p data-testid={`redis-${label}`}>
        <code>{label}</code> <span className="muted">not cached</span>
      </p>
    );
  }
  const differing = entry.fields.filter((f) => !f.matches && f.database !== null);
  return (
    <div data-testid={`redis-${label}`}>
      <p>
        <code>{entry.key}</code> <span className="muted">TTL {entry.ttlSeconds < 0 ? "none" : formatDuration(entry.ttlSeconds * 1000)}</span>
        {entry.fresh ? (
          <span className="badge good">matches the database</span>
        ) : (
          <span className="badge bad">stale: {differing.length} {differing.length === 1 ? "field differs" : "fields differ"}</span>
        )}
      </p>
      {entry.fields.length > 0 && (
        <table className="mini">
          <thead>
            <tr>
              <th>Field</th>
              <th>Cached</th>
              <th>Database</th>
            </tr>
          </thead>
          <tbody>
            {entry.fields.map((f) => (
              <tr key={f.field} className={!f.matches && f.database !== null ? "mismatch" : ""}>
                <td>{f.field}</td>
                <td>{show(f.cached)}</td>
                <td>{f.database === null ? <span className="muted">not compared</span> : show(f.database)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function RedisSection({
  d,
  tokens,
  onFindTokens,
}: {
  d: UserDetail;
  tokens: TokenScan | "loading" | UiError | null;
  onFindTokens: (() => void) | null;
}) {
  return (
    <section aria-label="Redis entries">
      <h3>Redis {d.cache && <span className="muted">· {d.cache.server}</span>}</h3>
      {d.cacheError && <ErrorLine error={{ ...d.cacheError, fields: [] }} />}
      {!d.cache && !d.cacheError && <p className="muted">This profile has no Redis.</p>}
      {d.cache && (
        <>
          <Entry label={`user:${d.user.id}`} entry={d.cache.user} />
          <Entry label={`dashboard:stats:${d.user.id}`} entry={d.cache.dashboard} />
          <p data-testid="redis-leaderboard">
            <code>leaderboard:today</code>{" "}
            {d.cache.leaderboard ? (
              <>
                rank <strong>{d.cache.leaderboard.rank}</strong> · score {d.cache.leaderboard.score}
              </>
            ) : (
              <span className="muted">not ranked</span>
            )}
          </p>
        </>
      )}
      {onFindTokens && (
        <div>
          {tokens === null && (
            <button type="button" data-action="find-tokens" onClick={onFindTokens} title="Walks token:* with SCAN (never KEYS), at most 200 calls">
              Find login tokens
            </button>
          )}
          {tokens === "loading" && <p className="muted">Scanning token:* …</p>}
          {tokens !== null && tokens !== "loading" && "kind" in tokens && <ErrorLine error={tokens} />}
          {tokens !== null && tokens !== "loading" && "tokens" in tokens && (
            <div data-testid="user-tokens">
              {tokens.tokens.length === 0 ? (
                <p className="muted">No login tokens.</p>
              ) : (
                tokens.tokens.map((t) => (
                  <p key={t.token}>
                    <code>token:{t.token}</code> <span className="muted">TTL {formatDuration(t.ttlSeconds * 1000)}</span>
                  </p>
                ))
              )}
              <p className="muted">
                {tokens.tokensExamined.toLocaleString("en-US")} token keys examined in {tokens.scanCalls} SCAN calls of a{" "}
                {tokens.keyspaceSize.toLocaleString("en-US")}-key keyspace
                {tokens.complete ? "" : " — stopped at the cap; the CLI's `users tokens --max-scans` looks further"}
              </p>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

function Emotions({ d }: { d: UserDetail }) {
  const list = d.emotions30Days;
  if (list.length === 0) return <p className="muted">None logged.</p>;
  const max = Math.max(...list.map((e) => e.count));
  return (
    <table className="mini" data-testid="user-emotions">
      <tbody>
        {list.map((e) => (
          <tr key={e.emotion}>
            <td style={{ width: 90 }}>{e.emotion}</td>
            <td>
              <span className="bar" style={{ width: `${Math.max(4, (e.count / max) * 180)}px` }} /> {e.count}
            </td>
            <td className="muted">avg intensity {e.averageIntensity?.toFixed(2) ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
