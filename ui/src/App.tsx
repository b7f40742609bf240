import { useCallback, useEffect, useState } from "react";
import { asUiError, checkProfile, listProfiles } from "./api";
import type { ProfileSummary } from "./bindings/ProfileSummary";
import type { ServerCheck } from "./bindings/ServerCheck";
import type { UiError } from "./bindings/UiError";

type Load<T> = { state: "loading" } | { state: "error"; error: UiError } | { state: "ready"; value: T };

export function App() {
  const [profiles, setProfiles] = useState<Load<ProfileSummary[]>>({ state: "loading" });

  const fetchProfiles = useCallback(() => {
    listProfiles().then(
      (value) => setProfiles({ state: "ready", value }),
      (e) => setProfiles({ state: "error", error: asUiError(e) }),
    );
  }, []);

  useEffect(fetchProfiles, [fetchProfiles]);

  const reload = () => {
    setProfiles({ state: "loading" });
    fetchProfiles();
  };

  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">MindPal Admin</div>
        <nav>
          <a className="nav-item active" aria-current="page">
            Connections
          </a>
        </nav>
      </aside>
      <main className="content">
        <header className="page-header">
          <h1>Connections</h1>
          <button type="button" onClick={reload} title="Reload the saved profiles">
            Reload
          </button>
        </header>
        {profiles.state === "loading" && <p className="muted">Loading profiles…</p>}
        {profiles.state === "error" && <ErrorLine error={profiles.error} />}
        {profiles.state === "ready" && profiles.value.length === 0 && (
          <div className="empty">
            <h2>No connection profiles yet</h2>
            <p>
              Start a local MindPal platform with <code>mindpal-admin sandbox up</code>: it registers a profile
              named <code>sandbox</code>, then press Reload.
            </p>
          </div>
        )}
        {profiles.state === "ready" && (
          <ul className="profiles">
            {profiles.value.map((p) => (
              <ProfileCard key={p.name} profile={p} />
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}

function ProfileCard({ profile }: { profile: ProfileSummary }) {
  const [check, setCheck] = useState<Load<ServerCheck[]> | null>(null);
  const test = () => {
    setCheck({ state: "loading" });
    checkProfile(profile.name).then(
      (value) => setCheck({ state: "ready", value }),
      (e) => setCheck({ state: "error", error: asUiError(e) }),
    );
  };
  return (
    <li className="card" data-profile={profile.name}>
      <div className="card-head">
        <div>
          <h2>{profile.name}</h2>
          <p className="muted">
            {profile.role}
            {profile.readOnly ? " · read-only" : ""} · MySQL {profile.mysqlAddress}
            {profile.replicaAddresses.length > 0 ? ` · ${profile.replicaAddresses.length} replica(s)` : ""}
            {profile.redisMode ? ` · Redis (${profile.redisMode})` : ""}
          </p>
        </div>
        <button type="button" className="primary" onClick={test} disabled={check?.state === "loading"}>
          {check?.state === "loading" ? "Testing…" : "Test connection"}
        </button>
      </div>
      {check?.state === "error" && <ErrorLine error={check.error} />}
      {check?.state === "ready" && (
        <table className="checks">
          <thead>
            <tr>
              <th>Server</th>
              <th>Address</th>
              <th>State</th>
              <th>Version</th>
              <th>TLS</th>
              <th className="num">Round trip</th>
            </tr>
          </thead>
          <tbody>
            {check.value.map((s) => (
              <tr key={s.role} className={s.error ? "bad" : "good"}>
                <td>{s.role}</td>
                <td>{s.address}</td>
                <td>{s.error ? <ErrorLine error={s.error} /> : <span className="ok">reachable</span>}</td>
                <td>{s.product ? `${s.product} ${s.version ?? ""}` : "—"}</td>
                <td>{s.tls === null ? "—" : s.tls ? "yes" : "no"}</td>
                <td className="num">{s.roundTripMs === null ? "—" : `${s.roundTripMs.toFixed(1)} ms`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function ErrorLine({ error }: { error: UiError }) {
  return (
    <span className="error" role="alert">
      <strong>{error.kind}</strong> {error.message}
    </span>
  );
}
