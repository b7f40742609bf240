import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { asUiError, deleteProfile, logFolder, openLogFolder, sandboxOffer, saveDiagnostics, saveProfile, testProfile, tunnelState } from "../../api";
import type { Capabilities } from "../../bindings/Capabilities";
import type { Profile as StoredProfile } from "../../bindings/Profile";
import type { ProfileView as Profile } from "../../bindings/ProfileView";
import type { ServerCheck } from "../../bindings/ServerCheck";
import { HostKeyPrompt } from "../../components/HostKeyPrompt";
import { useToasts } from "../../components/Toasts";
import { ErrorLine } from "../overview/OverviewScreen";
import { ProfileForm } from "./ProfileForm";

export type Editing = { mode: "new" } | { mode: "edit"; profile: Profile } | null;

export function ConnectionsScreen({
  profiles,
  editing,
  setEditing,
  onSaved,
}: {
  profiles: Profile[];
  editing: Editing;
  setEditing: (e: Editing) => void;
  onSaved: (p: Profile) => void;
}) {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const offer = useQuery({ queryKey: ["sandbox-offer"], queryFn: sandboxOffer });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["profiles"] });
    void queryClient.invalidateQueries({ queryKey: ["sandbox-offer"] });
  };
  const addSandbox = useMutation({
    mutationFn: (p: StoredProfile) =>
      saveProfile({ profile: p, originalName: null, passwords: { mysql: null, replicas: [], redis: null, ssh: null }, sessionOnly: false }),
    onSuccess: (p) => {
      refresh();
      onSaved(p);
      toasts.info("Added the sandbox profile");
    },
    onError: (e) => toasts.error(asUiError(e)),
  });

  if (editing) {
    return (
      <ProfileForm
        initial={editing.mode === "edit" ? editing.profile : null}
        onCancel={() => setEditing(null)}
        onDone={(p) => {
          setEditing(null);
          refresh();
          onSaved(p);
          toasts.info(`Saved ${p.name}`);
        }}
      />
    );
  }

  return (
    <div>
      {offer.data && (
        <div className="banner info">
          The local sandbox is running.
          <button type="button" className="primary" onClick={() => offer.data && addSandbox.mutate(offer.data)}>
            Add a profile for it
          </button>
        </div>
      )}
      {profiles.length === 0 ? (
        <div className="empty">
          <h2>No connection profiles yet</h2>
          <p>
            Add one for your MindPal database and Redis, or start a local platform with{" "}
            <code>mindpal-admin sandbox up</code>.
          </p>
          <button type="button" className="primary" onClick={() => setEditing({ mode: "new" })}>
            New profile
          </button>
        </div>
      ) : (
        <ul className="profiles">
          {profiles.map((p) => (
            <ProfileCard key={p.name} profile={p} onEdit={() => setEditing({ mode: "edit", profile: p })} onChanged={refresh} profiles={profiles} />
          ))}
        </ul>
      )}
      <LogsCard />
    </div>
  );
}

/** Where the app logs, and the report to send when something goes wrong. */
function LogsCard() {
  const toasts = useToasts();
  const folder = useQuery({ queryKey: ["log-folder"], queryFn: logFolder, staleTime: Infinity });
  const open = useMutation({ mutationFn: openLogFolder, onError: (e) => toasts.error(asUiError(e)) });
  const save = useMutation({
    mutationFn: saveDiagnostics,
    onSuccess: (path) => toasts.info("Diagnostics saved", path),
    onError: (e) => toasts.error(asUiError(e)),
  });
  return (
    <section className="card logs-card" aria-label="Logs and diagnostics">
      <h2>Logs and diagnostics</h2>
      <p className="muted">
        The app logs to <code data-testid="log-folder">{folder.data ?? "…"}</code> (a few files of 2 MB, rotated while it runs; never a password or a statement).
      </p>
      <div className="form-actions">
        <button type="button" onClick={() => open.mutate()} disabled={open.isPending}>
          Open log folder
        </button>
        <button type="button" onClick={() => save.mutate()} disabled={save.isPending} data-action="save-diagnostics">
          {save.isPending ? "Saving…" : "Save diagnostics"}
        </button>
        {save.data && (
          <span className="muted" data-testid="diagnostics-path">
            saved to {save.data}
          </span>
        )}
      </div>
    </section>
  );
}

function ProfileCard({
  profile,
  profiles,
  onEdit,
  onChanged,
}: {
  profile: Profile;
  profiles: Profile[];
  onEdit: () => void;
  onChanged: () => void;
}) {
  const toasts = useToasts();
  const [confirming, setConfirming] = useState(false);
  const test = useMutation({ mutationFn: () => testProfile(profile.name) });
  // The tunnel as this session left it; polled while the card shows a profile with a bastion.
  const tunnel = useQuery({
    queryKey: ["tunnel", profile.name],
    queryFn: () => tunnelState(profile.name),
    enabled: !!profile.ssh,
    refetchInterval: 5000,
  });
  const hostKey = test.data?.map((c) => c.error?.hostKey).find(Boolean);
  const remove = useMutation({
    mutationFn: () => deleteProfile(profile.name),
    onSuccess: () => {
      onChanged();
      toasts.info(`Deleted ${profile.name}`);
    },
    onError: (e) => toasts.error(asUiError(e)),
  });
  const duplicate = useMutation({
    mutationFn: () => {
      let name = `${profile.name} copy`;
      for (let i = 2; profiles.some((p) => p.name === name); i += 1) name = `${profile.name} copy ${i}`;
      // Passwords are not copied: the copy asks for them when it is edited.
      const clear = <T extends { passwordSaved: boolean }>(t: T): T => ({ ...t, passwordSaved: false });
      return saveProfile({
        profile: {
          ...profile,
          name,
          mysql: clear(profile.mysql),
          replicas: profile.replicas.map(clear),
          redis: profile.redis && { ...profile.redis, nodes: profile.redis.nodes.map(clear) },
          ssh: profile.ssh && { ...profile.ssh, secretSaved: false },
        },
        originalName: null,
        passwords: { mysql: null, replicas: [], redis: null, ssh: null },
        sessionOnly: false,
      });
    },
    onSuccess: (p) => {
      onChanged();
      toasts.info(`Duplicated as ${p.name}`, "Passwords are not copied.");
    },
    onError: (e) => toasts.error(asUiError(e)),
  });

  return (
    <li className="card" data-profile={profile.name}>
      <div className="card-head">
        <div>
          <h2>{profile.name}</h2>
          <p className="muted">
            {profile.role}
            {profile.readOnly ? " · read-only" : ""} · MySQL {profile.mysql.socket ?? `${profile.mysql.host}:${profile.mysql.port}`}
            {profile.replicas.length > 0 ? ` · ${profile.replicas.length} replica(s)` : ""}
            {profile.redis ? ` · Redis (${profile.redis.mode})` : ""}
            {profile.ssh ? ` · through SSH ${profile.ssh.host}` : ""}
          </p>
          {tunnel.data && (
            <p className={`tunnel ${tunnel.data.state.state}`} data-tunnel={tunnel.data.state.state}>
              SSH tunnel {tunnel.data.path}:{" "}
              {tunnel.data.state.state === "open"
                ? `open since ${tunnel.data.state.since.slice(11, 19)}`
                : tunnel.data.state.state === "down"
                  ? hostKey
                    ? "waiting for its host key to be trusted"
                    : `down — ${tunnel.data.state.error}`
                  : "not opened yet"}
            </p>
          )}
        </div>
        <div className="actions">
          <button type="button" className="primary" data-action="test" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? "Testing…" : "Test connection"}
          </button>
          <button type="button" data-action="edit" onClick={onEdit}>
            Edit
          </button>
          <button type="button" data-action="duplicate" onClick={() => duplicate.mutate()}>
            Duplicate
          </button>
          {confirming ? (
            <>
              <button type="button" className="danger" data-action="confirm-delete" onClick={() => remove.mutate()}>
                Delete {profile.name}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" data-action="delete" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      </div>
      {test.isError && <ErrorLine error={asUiError(test.error)} />}
      {hostKey && (
        <HostKeyPrompt
          fingerprint={hostKey}
          onTrusted={() => {
            test.mutate();
          }}
        />
      )}
      {test.data && <TestResults checks={test.data} />}
    </li>
  );
}

const CAPABILITY_LABELS: [keyof Capabilities, string][] = [
  ["read", "read"],
  ["write", "write"],
  ["schemaChange", "schema"],
  ["process", "PROCESS"],
  ["reload", "RELOAD/backup"],
  ["replicationClient", "REPLICATION CLIENT"],
  ["killAny", "kill queries"],
];

function TestResults({ checks }: { checks: ServerCheck[] }) {
  // One cause for every server (the bastion refused, its key changed): said once, above.
  const shared = checks.length > 1 && checks.every((c) => c.error && c.error.message === checks[0].error?.message) ? checks[0].error : null;
  return (
    <>
      {shared && !shared.hostKey && (
        <p data-shared-error>
          <ErrorLine error={shared} />
        </p>
      )}
      <table className="checks">
        <thead>
          <tr>
            <th>Server</th>
            <th>Address</th>
            <th>State</th>
            <th>Version</th>
            <th>TLS</th>
            <th>Path</th>
            <th className="num">Round trip</th>
            <th>May</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((s) => (
            <tr key={s.role} data-server={s.role} className={s.error ? "bad" : "good"}>
              <td>{s.role}</td>
              <td>{s.address}</td>
              <td>
                {s.error ? (
                  shared && !shared.hostKey ? (
                    <span className="error" data-kind={s.error.kind}>
                      {s.error.kind}: as said above
                    </span>
                  ) : (
                    <ErrorLine error={s.error} hostKeyPrompt={false} />
                  )
                ) : (
                  <span className="ok">reachable</span>
                )}
              </td>
              <td>{s.summary ? `${s.summary.product} ${s.summary.version}` : "—"}</td>
              <td data-tls>{s.summary ? (s.summary.tlsVersion ? `${s.summary.tlsVersion} ${s.summary.tlsCipher ?? ""}` : s.summary.tls ? "yes" : "no") : "—"}</td>
              <td data-path>{s.summary?.path ?? "—"}</td>
              <td className="num">{s.summary ? `${s.summary.roundTripMs.toFixed(1)} ms` : "—"}</td>
              <td>
                {s.summary?.capabilities &&
                  CAPABILITY_LABELS.map(([key, label]) => (
                    <span key={key} className={`chip ${s.summary?.capabilities?.[key] ? "yes" : "no"}`}>
                      {label}
                    </span>
                  ))}
                {s.summary?.role && <span className="chip yes">{s.summary.role}</span>}
                {s.summary?.excessGrants.map((grant) => (
                  <div key={grant} className="warn-text" data-excess-grant>
                    ⚠ the account holds {grant}: more than this profile needs — see the README's least-privilege grants
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
