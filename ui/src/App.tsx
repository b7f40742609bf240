import { Suspense, lazy, useEffect, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asUiError, listProfiles, loadOverview, may } from "./api";
import type { Permission } from "./bindings/Permission";
import type { ProfileView as Profile } from "./bindings/ProfileView";
import { CommandPalette, type Command } from "./components/CommandPalette";
import { ToastTray } from "./components/Toasts";
import { ConnectionsScreen, type Editing } from "./features/connections/ConnectionsScreen";
import { ConversationsScreen } from "./features/conversations/ConversationsScreen";
import { DigitalHumansScreen } from "./features/digitalHumans/DigitalHumansScreen";
import { IndexesScreen } from "./features/indexes/IndexesScreen";
import { BackupScreen } from "./features/backup/BackupScreen";
import { ReplicationScreen } from "./features/replication/ReplicationScreen";
import { ErrorLine, OverviewScreen } from "./features/overview/OverviewScreen";
import { FleetScreen } from "./features/fleet/FleetScreen";
import { AuditScreen } from "./features/audit/AuditScreen";
import { UsersScreen } from "./features/users/UsersScreen";
import { CacheScreen } from "./features/cache/CacheScreen";
import { MonitorScreen } from "./features/monitor/MonitorScreen";
import { ReviewersScreen } from "./features/reviewers/ReviewersScreen";
import { forgetStoredStatements, sendToExplain } from "./features/explain/draft";

type Screen = "fleet" | "audit" | "overview" | "users" | "digitalHumans" | "conversations" | "reviewers" | "explain" | "indexes" | "replication" | "backup" | "monitor" | "cache" | "connections";

/** The screens of the sidebar, with their Ctrl key; `operators` screens show statements and
 * cached rows unmasked, so support profiles do not get them. */
const SCREENS: { id: Screen; label: string; key: string; needsProfile: boolean; needs?: Permission }[] = [
  { id: "fleet", label: "Fleet", key: ".", needsProfile: true },
  { id: "overview", label: "Overview", key: "1", needsProfile: true },
  { id: "users", label: "Users", key: "2", needsProfile: true },
  { id: "digitalHumans", label: "Digital humans", key: "3", needsProfile: true },
  { id: "conversations", label: "Conversations", key: "4", needsProfile: true },
  { id: "reviewers", label: "Reviewers", key: "/", needsProfile: true },
  { id: "explain", label: "Explain", key: "5", needsProfile: true },
  { id: "indexes", label: "Indexes", key: "6", needsProfile: true },
  { id: "replication", label: "Replication", key: "7", needsProfile: true },
  { id: "backup", label: "Backup", key: "8", needsProfile: true },
  { id: "monitor", label: "Monitor", key: "9", needsProfile: true, needs: "monitor" },
  { id: "cache", label: "Cache", key: "0", needsProfile: true, needs: "browseCache" },
  { id: "audit", label: "Audit trail", key: ";", needsProfile: true },
  { id: "connections", label: "Connections", key: ",", needsProfile: false },
];
const ACTIVE_KEY = "mindpal.activeProfile";
// The editor (CodeMirror) is loaded when the Explain screen first opens, not at launch.
const ExplainScreen = lazy(() => import("./features/explain/ExplainScreen").then((m) => ({ default: m.ExplainScreen })));

export function App() {
  const profiles = useQuery({ queryKey: ["profiles"], queryFn: listProfiles });
  const list = useMemo(() => profiles.data ?? [], [profiles.data]);
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(ACTIVE_KEY));
  // Until a screen is chosen: with more than one profile the console opens on the fleet
  // (is anything wrong anywhere?), else on the overview.
  const [chosenScreen, setScreen] = useState<Screen | null>(null);
  const [editing, setEditing] = useState<Editing>(null);
  const [palette, setPalette] = useState(false);
  const [openUser, setOpenUser] = useState<string | null>(null);
  const [openDh, setOpenDh] = useState<string | null>(null);
  const [openConversation, setOpenConversation] = useState<string | null>(null);

  // The active profile: the one chosen, while it exists; else the first.
  const active = list.find((p) => p.name === chosen)?.name ?? list[0]?.name ?? null;
  // With no profile yet there is nothing to overview: the console opens on Connections.
  const activeProfile = list.find((p) => p.name === active) ?? null;
  const visible = SCREENS.filter((x) => !x.needs || may(activeProfile, x.needs));
  const wanted: Screen = chosenScreen ?? (list.length > 1 ? "fleet" : "overview");
  const screen: Screen = !active ? "connections" : visible.some((x) => x.id === wanted) ? wanted : "overview";
  const choose = (name: string) => {
    setChosen(name);
    setOpenUser(null);
    setOpenDh(null);
    setOpenConversation(null);
    localStorage.setItem(ACTIVE_KEY, name);
  };
  const goUser = (id: string) => {
    setOpenUser(id);
    setScreen("users");
  };
  const goConversation = (id: string) => {
    setOpenConversation(id);
    setScreen("conversations");
  };
  const goExplain = (sql: string) => {
    sendToExplain(sql);
    setScreen("explain");
  };
  const goDh = (id: string) => {
    setOpenDh(id);
    setScreen("digitalHumans");
  };

  useEffect(forgetStoredStatements, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette((p) => !p);
      } else if (mod && SCREENS.some((x) => x.key === e.key)) {
        e.preventDefault();
        const target = SCREENS.find((x) => x.key === e.key);
        if (target) setScreen(target.id);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const commands: Command[] = [
    ...visible.map((x) => ({ id: `go-${x.id}`, label: `Go to ${x.label}`, hint: `Ctrl+${x.key}`, run: () => setScreen(x.id) })),
    {
      id: "new-profile",
      label: "New connection profile",
      run: () => {
        setScreen("connections");
        setEditing({ mode: "new" });
      },
    },
    { id: "reload", label: "Reload profiles", run: () => void profiles.refetch() },
    ...list.map((p) => ({
      id: `use-${p.name}`,
      label: `Use profile ${p.name}`,
      run: () => {
        choose(p.name);
        setScreen("overview");
      },
    })),
  ];

  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">MindPal Admin</div>
        <ConnectionPicker profiles={list} active={active} onChoose={choose} />
        <nav aria-label="Screens">
          {visible.map((x) => (
            <button
              key={x.id}
              type="button"
              data-screen={x.id}
              className={`nav-item ${screen === x.id ? "active" : ""}`}
              aria-current={screen === x.id ? "page" : undefined}
              onClick={() => setScreen(x.id)}
              disabled={x.needsProfile && !active}
            >
              {x.label} <kbd>Ctrl {x.key}</kbd>
            </button>
          ))}
        </nav>
        <button type="button" className="palette-hint" onClick={() => setPalette(true)}>
          Commands <kbd>Ctrl K</kbd>
        </button>
      </aside>
      <div className="main-column">
      <main className="content">
        <header className="page-header">
          <h1>
            {SCREENS.find((x) => x.id === screen)?.label}
            {screen !== "connections" && screen !== "fleet" && active ? ` · ${active}` : ""}
          </h1>
          {screen === "connections" && !editing && (
            <button type="button" className="primary" data-action="new-profile" onClick={() => setEditing({ mode: "new" })}>
              New profile
            </button>
          )}
        </header>
        {profiles.isPending && <p className="muted">Loading profiles…</p>}
        {profiles.isError && <ErrorLine error={asUiError(profiles.error)} />}
        {profiles.isSuccess && screen === "connections" && (
          <ConnectionsScreen
            profiles={list}
            editing={editing}
            setEditing={setEditing}
            onSaved={(p: Profile) => {
              choose(p.name);
              // Saved from the Connections screen: stay there to test it.
              setScreen("connections");
            }}
          />
        )}
        {profiles.isSuccess && screen === "fleet" && (
          <FleetScreen
            profiles={list}
            onOpen={(name) => {
              choose(name);
              setScreen("overview");
            }}
          />
        )}
        {profiles.isSuccess && screen === "audit" && activeProfile && (
          <AuditScreen
            key={activeProfile.name}
            profile={activeProfile}
            open={{ user: goUser, digitalHuman: goDh, conversation: goConversation, backup: () => setScreen("backup") }}
          />
        )}
        {profiles.isSuccess && screen === "overview" && active && <OverviewScreen key={active} profile={active} />}
        {profiles.isSuccess && screen === "users" && activeProfile && (
          <UsersScreen
            key={activeProfile.name}
            profile={activeProfile}
            openId={openUser}
            onOpen={setOpenUser}
            onOpenDigitalHuman={goDh}
          />
        )}
        {profiles.isSuccess && screen === "digitalHumans" && activeProfile && (
          <DigitalHumansScreen
            key={activeProfile.name}
            profile={activeProfile}
            openId={openDh}
            onOpen={setOpenDh}
            onOpenUser={goUser}
          />
        )}
        {profiles.isSuccess && screen === "conversations" && activeProfile && (
          <ConversationsScreen
            key={activeProfile.name}
            profile={activeProfile}
            openId={openConversation}
            onOpen={setOpenConversation}
            onOpenUser={goUser}
            onOpenDigitalHuman={goDh}
          />
        )}
        {profiles.isSuccess && screen === "reviewers" && activeProfile && (
          <ReviewersScreen key={activeProfile.name} profile={activeProfile} onOpenConversation={goConversation} />
        )}
        {profiles.isSuccess && screen === "explain" && activeProfile && (
          <Suspense fallback={<p className="muted">Loading the editor…</p>}>
            <ExplainScreen key={activeProfile.name} profile={activeProfile} />
          </Suspense>
        )}
        {profiles.isSuccess && screen === "indexes" && activeProfile && <IndexesScreen key={activeProfile.name} profile={activeProfile} />}
        {profiles.isSuccess && screen === "replication" && activeProfile && <ReplicationScreen key={activeProfile.name} profile={activeProfile} />}
        {profiles.isSuccess && screen === "backup" && activeProfile && <BackupScreen key={activeProfile.name} profile={activeProfile} />}
        {profiles.isSuccess && screen === "monitor" && activeProfile && <MonitorScreen key={activeProfile.name} profile={activeProfile} onExplain={goExplain} />}
        {profiles.isSuccess && screen === "cache" && activeProfile && (
          <CacheScreen key={activeProfile.name} profile={activeProfile} open={{ user: goUser, conversation: goConversation, digitalHuman: goDh }} />
        )}
        {profiles.isSuccess && screen === "overview" && !active && (
          <p className="muted">Add a connection profile first.</p>
        )}
      </main>
      <ToastTray />
      </div>
      {palette && <CommandPalette commands={commands} onClose={() => setPalette(false)} />}
    </div>
  );
}

/** The active profile, with a live dot for its primary and Redis (from the overview query). */
function ConnectionPicker({ profiles, active, onChoose }: { profiles: Profile[]; active: string | null; onChoose: (n: string) => void }) {
  const state = useQuery({
    queryKey: ["overview", active],
    queryFn: () => loadOverview(active ?? ""),
    enabled: !!active,
    refetchInterval: 15000,
  });
  if (profiles.length === 0) return null;
  const dot = (ok: boolean | undefined, label: string) => (
    <span className={`dot ${ok === undefined ? "unknown" : ok ? "up" : "down"}`} title={label} aria-label={label} />
  );
  const d = state.data;
  return (
    <div className="picker">
      <label htmlFor="active-profile" className="muted">
        Connected to
      </label>
      <select id="active-profile" value={active ?? ""} onChange={(e) => onChoose(e.target.value)}>
        {profiles.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name}
          </option>
        ))}
      </select>
      <div className="picker-state">
        {dot(d ? !!d.database : undefined, d?.databaseError ? `database: ${d.databaseError.message}` : "database")}
        database
        {dot(d ? (d.redisError ? false : d.redis ? true : undefined) : undefined, d?.redisError ? `redis: ${d.redisError.message}` : "redis")}
        redis
      </div>
    </div>
  );
}
