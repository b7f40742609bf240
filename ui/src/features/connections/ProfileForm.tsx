import { useState, type FormEvent } from "react";
import { asUiError, saveProfile } from "../../api";
import type { Profile } from "../../bindings/Profile";
import type { Role } from "../../bindings/Role";
import type { ProfileView } from "../../bindings/ProfileView";
import type { Alerts } from "../../bindings/Alerts";
import type { RedisMode } from "../../bindings/RedisMode";
import type { SshAuth } from "../../bindings/SshAuth";
import type { TlsMode } from "../../bindings/TlsMode";
import type { UiError } from "../../bindings/UiError";

type Form = {
  name: string;
  role: Role;
  readOnly: boolean;
  host: string;
  port: string;
  socket: string;
  user: string;
  password: string;
  database: string;
  tls: TlsMode;
  caFile: string;
  replicas: { host: string; port: string }[];
  redisMode: RedisMode | "none";
  redisNodes: string;
  redisMaster: string;
  redisPassword: string;
  redisTls: boolean;
  redisCa: string;
  ssh: boolean;
  sshHost: string;
  sshPort: string;
  sshUser: string;
  sshAuth: SshAuth;
  sshKeyFile: string;
  sshSecret: string;
  backupDir: string;
  lagWarningS: string;
  backupWarningHours: string;
  timeoutS: string;
};

const TLS_MODES: TlsMode[] = ["disabled", "preferred", "required", "verify-ca", "verify-identity"];

function toForm(p: Profile | null): Form {
  return {
    name: p?.name ?? "",
    role: p?.role ?? "operator",
    readOnly: p?.readOnly ?? false,
    host: p?.mysql.host ?? "127.0.0.1",
    port: String(p?.mysql.port ?? 3306),
    socket: p?.mysql.socket ?? "",
    user: p?.mysql.user ?? "root",
    password: "",
    database: p?.mysql.database ?? "mindpal",
    tls: p?.mysql.tls ?? "preferred",
    caFile: p?.mysql.caFile ?? "",
    replicas: (p?.replicas ?? []).map((r) => ({ host: r.host, port: String(r.port) })),
    redisMode: p?.redis?.mode ?? "none",
    redisNodes: (p?.redis?.nodes ?? []).map((n) => `${n.host}:${n.port}`).join(", "),
    redisMaster: p?.redis?.masterName ?? "",
    redisPassword: "",
    redisTls: p?.redis?.nodes[0]?.tls ?? false,
    redisCa: p?.redis?.nodes[0]?.caFile ?? "",
    ssh: !!p?.ssh,
    sshHost: p?.ssh?.host ?? "",
    sshPort: p?.ssh?.port ? String(p.ssh.port) : "",
    sshUser: p?.ssh?.user ?? "",
    sshAuth: p?.ssh?.auth ?? "key",
    sshKeyFile: p?.ssh?.keyFile ?? "",
    sshSecret: "",
    backupDir: p?.backupDir ?? "",
    lagWarningS: String(p?.alerts?.lagWarningS ?? DEFAULT_ALERTS.lagWarningS),
    backupWarningHours: String(p?.alerts?.backupWarningHours ?? DEFAULT_ALERTS.backupWarningHours),
    timeoutS: String((p?.alerts?.timeoutMs ?? DEFAULT_ALERTS.timeoutMs) / 1000),
  };
}

/** The core's defaults (fleet::Alerts), for a new profile. */
const DEFAULT_ALERTS: Alerts = {
  lagWarningS: 10,
  lagCriticalS: 300,
  backupWarningHours: 26,
  backupCriticalHours: 50,
  redisMemoryWarningPct: 80,
  redisMemoryCriticalPct: 95,
  redisHitRateWarningPct: 80,
  threadsRunningWarning: 32,
  timeoutMs: 5000,
};

/** A number typed into a threshold field, or the fallback when it is not one. */
function number(text: string, fallback: number): number {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
}

function toAlerts(f: Form, original: Profile | null): Alerts {
  const base = original?.alerts ?? DEFAULT_ALERTS;
  const lag = number(f.lagWarningS, base.lagWarningS);
  const backup = number(f.backupWarningHours, base.backupWarningHours);
  return {
    ...base,
    lagWarningS: lag,
    // The alarm stays past the warning when the warning is raised above it.
    lagCriticalS: Math.max(base.lagCriticalS, lag),
    backupWarningHours: backup,
    backupCriticalHours: Math.max(base.backupCriticalHours, backup),
    timeoutMs: Math.round(Math.min(600, Math.max(0.5, number(f.timeoutS, base.timeoutMs / 1000))) * 1000),
  };
}

/** Port text to a number; 0 (refused by the core with a field message) when not a valid port. */
function port(text: string): number {
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : 0;
}

function toProfile(f: Form, original: Profile | null): Profile {
  const target = (host: string, portText: string, saved: boolean) => ({
    host: host.trim(),
    port: port(portText),
    socket: f.socket.trim() || null,
    user: f.user.trim(),
    passwordSaved: saved,
    database: f.database.trim() || null,
    tls: f.tls,
    caFile: f.caFile.trim() || null,
  });
  return {
    name: f.name.trim(),
    role: f.role,
    readOnly: f.readOnly,
    mysql: target(f.host, f.port, original?.mysql.passwordSaved ?? false),
    replicas: f.replicas.map((r, i) => ({ ...target(r.host, r.port, original?.replicas[i]?.passwordSaved ?? false), socket: null })),
    redis:
      f.redisMode === "none"
        ? null
        : {
            mode: f.redisMode,
            masterName: f.redisMode === "sentinel" ? f.redisMaster.trim() || null : null,
            nodes: f.redisNodes
              .split(/[\s,]+/)
              .filter(Boolean)
              .map((hp, i) => {
                const [host, p] = hp.split(":");
                return {
                  host: host ?? "",
                  port: port(p ?? "6379"),
                  user: null,
                  passwordSaved: i === 0 && (original?.redis?.nodes[0]?.passwordSaved ?? false),
                  db: 0,
                  tls: f.redisTls,
                  caFile: f.redisTls ? f.redisCa.trim() || null : null,
                };
              }),
          },
    ssh: f.ssh
      ? {
          host: f.sshHost.trim(),
          port: f.sshPort.trim() ? port(f.sshPort) : null,
          user: f.sshUser.trim() || null,
          auth: f.sshAuth,
          keyFile: f.sshAuth === "key" ? f.sshKeyFile.trim() || null : null,
          knownHosts: original?.ssh?.knownHosts ?? null,
          // A new secret is saved with the profile; switching the way in drops the old one.
          secretSaved: (original?.ssh?.secretSaved ?? false) && original?.ssh?.auth === f.sshAuth,
        }
      : null,
    backupDir: f.backupDir.trim() || null,
    alerts: toAlerts(f, original),
  };
}

/** Client-side checks that need no server; the core checks everything again. */
function localProblems(f: Form): Record<string, string> {
  const out: Record<string, string> = {};
  if (!f.name.trim()) out.name = "Give the profile a name.";
  if (!f.socket.trim() && port(f.port) === 0) out["mysql.port"] = "The port must be between 1 and 65535.";
  f.replicas.forEach((r, i) => {
    if (port(r.port) === 0) out[`replicas.${i}.port`] = "The port must be between 1 and 65535.";
  });
  if (f.redisMode !== "none" && !f.redisNodes.trim()) out["redis.nodes"] = "Add at least one host:port.";
  if (f.ssh && !f.sshHost.trim()) out["ssh.host"] = "Enter the bastion: a host, user@host:port, or a ~/.ssh/config alias.";
  if (f.ssh && f.sshPort.trim() && port(f.sshPort) === 0) out["ssh.port"] = "The port must be between 1 and 65535.";
  return out;
}

/** A password field that never shows what is saved: it says a secret is kept, and typing replaces it. */
function SecretInput({ name, value, onChange, saved }: { name: string; value: string; onChange: (v: string) => void; saved?: boolean }) {
  return (
    <input
      name={name}
      type="password"
      autoComplete="off"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={saved ? "saved in the keyring — type to replace" : ""}
    />
  );
}

export function ProfileForm({
  initial,
  onDone,
  onCancel,
}: {
  initial: Profile | null;
  onDone: (saved: ProfileView) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<Form>(() => toForm(initial));
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<UiError | null>(null);
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (sessionOnly: boolean) => {
    const local = localProblems(form);
    setFields(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    setSaving(true);
    try {
      const saved = await saveProfile({
        profile: toProfile(form, initial),
        originalName: initial?.name ?? null,
        passwords: {
          mysql: form.password || null,
          replicas: form.replicas.map(() => null),
          redis: form.redisPassword || null,
          ssh: (form.ssh && form.sshAuth !== "agent" && form.sshSecret) || null,
        },
        sessionOnly,
      });
      onDone(saved);
    } catch (e) {
      const err = asUiError(e);
      setFields(Object.fromEntries((err.fields ?? []).map((x) => [x.field, x.message])));
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(false);
  };

  const field = (key: string, label: string, input: React.ReactNode, hint?: string) => (
    <label className={`field ${fields[key] ? "invalid" : ""}`} data-field={key}>
      <span>{label}</span>
      {input}
      {fields[key] ? <small className="field-error">{fields[key]}</small> : hint && <small className="muted">{hint}</small>}
    </label>
  );

  return (
    <form className="card profile-form" onSubmit={onSubmit} aria-label="Connection profile">
      <h2>{initial ? `Edit ${initial.name}` : "New connection profile"}</h2>
      <div className="form-grid">
        {field("name", "Name", <input name="name" value={form.name} onChange={(e) => set("name", e.target.value)} autoFocus />)}
        {field(
          "role",
          "Role",
          <select name="role" value={form.role} onChange={(e) => set("role", e.target.value as Form["role"])}>
            <option value="operator">operator</option>
            <option value="support">support (PII masked)</option>
            <option value="lead">support lead (PII masked, every reviewer's figures)</option>
          </select>,
        )}
        <label className="check">
          <input type="checkbox" name="readOnly" checked={form.readOnly} onChange={(e) => set("readOnly", e.target.checked)} />
          Read-only: the console changes nothing through this profile
        </label>
      </div>
      <h3>MySQL / MariaDB primary</h3>
      <div className="form-grid">
        {field("mysql.host", "Host", <input name="host" value={form.host} onChange={(e) => set("host", e.target.value)} />)}
        {field("mysql.port", "Port", <input name="port" inputMode="numeric" value={form.port} onChange={(e) => set("port", e.target.value)} />)}
        {field(
          "mysql.socket",
          "Socket (instead of host and port)",
          <input name="socket" value={form.socket} onChange={(e) => set("socket", e.target.value)} placeholder="/run/mysqld/mysqld.sock" />,
        )}
        {field("mysql.user", "User", <input name="user" value={form.user} onChange={(e) => set("user", e.target.value)} />)}
        {field(
          "mysql.password",
          "Password",
          <SecretInput name="password" value={form.password} onChange={(v) => set("password", v)} saved={initial?.mysql.passwordSaved} />,
          "Kept in the OS keyring, never in a file.",
        )}
        {field("mysql.database", "Database", <input name="database" value={form.database} onChange={(e) => set("database", e.target.value)} />)}
        {field(
          "mysql.tls",
          "TLS",
          <select name="tls" value={form.tls} onChange={(e) => set("tls", e.target.value as TlsMode)}>
            {TLS_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>,
        )}
        {field("mysql.caFile", "CA file", <input name="caFile" value={form.caFile} onChange={(e) => set("caFile", e.target.value)} placeholder="/etc/ssl/mindpal-ca.pem" />)}
      </div>
      <h3>Replicas</h3>
      {form.replicas.map((r, i) => (
        <div className="form-grid replica" key={i}>
          {field(
            `replicas.${i}.host`,
            `Replica ${i + 1} host`,
            <input
              name={`replicas.${i}.host`}
              value={r.host}
              onChange={(e) => set("replicas", form.replicas.map((x, j) => (j === i ? { ...x, host: e.target.value } : x)))}
            />,
          )}
          {field(
            `replicas.${i}.port`,
            "Port",
            <input
              name={`replicas.${i}.port`}
              inputMode="numeric"
              value={r.port}
              onChange={(e) => set("replicas", form.replicas.map((x, j) => (j === i ? { ...x, port: e.target.value } : x)))}
            />,
          )}
          <button type="button" onClick={() => set("replicas", form.replicas.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" data-action="add-replica" onClick={() => set("replicas", [...form.replicas, { host: form.host, port: "3307" }])}>
        Add a replica
      </button>
      <h3>Redis</h3>
      <div className="form-grid">
        {field(
          "redis.mode",
          "Kind",
          <select name="redisMode" value={form.redisMode} onChange={(e) => set("redisMode", e.target.value as Form["redisMode"])}>
            <option value="none">no Redis</option>
            <option value="standalone">standalone</option>
            <option value="sentinel">Sentinel</option>
            <option value="cluster">cluster</option>
          </select>,
        )}
        {form.redisMode !== "none" &&
          field(
            "redis.nodes",
            form.redisMode === "sentinel" ? "Sentinels (host:port, …)" : form.redisMode === "cluster" ? "Seed nodes (host:port, …)" : "Address (host:port)",
            <input name="redisNodes" value={form.redisNodes} onChange={(e) => set("redisNodes", e.target.value)} placeholder="127.0.0.1:6379" />,
          )}
        {form.redisMode === "sentinel" &&
          field("redis.masterName", "Master name", <input name="redisMaster" value={form.redisMaster} onChange={(e) => set("redisMaster", e.target.value)} />)}
        {form.redisMode !== "none" &&
          field(
            "redis.password",
            "Password",
            <SecretInput name="redisPassword" value={form.redisPassword} onChange={(v) => set("redisPassword", v)} saved={initial?.redis?.nodes[0]?.passwordSaved} />,
          )}
        {form.redisMode !== "none" && (
          <label className="check">
            <input type="checkbox" name="redisTls" checked={form.redisTls} onChange={(e) => set("redisTls", e.target.checked)} />
            TLS (rediss://)
          </label>
        )}
        {form.redisMode !== "none" &&
          form.redisTls &&
          field(
            "redis.caFile",
            "CA file",
            <input name="redisCa" value={form.redisCa} onChange={(e) => set("redisCa", e.target.value)} placeholder="system CAs when empty" />,
          )}
      </div>
      <h3>SSH bastion</h3>
      <label className="check">
        <input type="checkbox" name="ssh" checked={form.ssh} onChange={(e) => set("ssh", e.target.checked)} />
        Reach every server above through an SSH bastion (addresses are then as the bastion sees them)
      </label>
      {form.ssh && (
        <div className="form-grid">
          {field(
            "ssh.host",
            "Bastion",
            <input name="sshHost" value={form.sshHost} onChange={(e) => set("sshHost", e.target.value)} placeholder="ops@bastion.example.com or a ~/.ssh/config alias" />,
            "A ~/.ssh/config alias brings its HostName, Port, User, IdentityFile and ProxyJump hops.",
          )}
          {field("ssh.port", "Port", <input name="sshPort" inputMode="numeric" value={form.sshPort} onChange={(e) => set("sshPort", e.target.value)} placeholder="22" />)}
          {field("ssh.user", "User", <input name="sshUser" value={form.sshUser} onChange={(e) => set("sshUser", e.target.value)} placeholder="from the host or ~/.ssh/config" />)}
          {field(
            "ssh.auth",
            "Log in with",
            <select name="sshAuth" value={form.sshAuth} onChange={(e) => set("sshAuth", e.target.value as SshAuth)}>
              <option value="key">a private key file</option>
              <option value="agent">ssh-agent</option>
              <option value="password">a password</option>
            </select>,
          )}
          {form.sshAuth === "key" &&
            field(
              "ssh.keyFile",
              "Private key",
              <input name="sshKeyFile" value={form.sshKeyFile} onChange={(e) => set("sshKeyFile", e.target.value)} placeholder="~/.ssh/id_ed25519 (default)" />,
            )}
          {form.sshAuth !== "agent" &&
            field(
              "ssh.secret",
              form.sshAuth === "key" ? "Key passphrase (if it has one)" : "SSH password",
              <SecretInput name="sshSecret" value={form.sshSecret} onChange={(v) => set("sshSecret", v)} saved={initial?.ssh?.secretSaved} />,
              "Kept in the OS keyring, never in a file.",
            )}
        </div>
      )}
      <h3>Fleet overview</h3>
      <div className="form-grid">
        {field(
          "backupDir",
          "Backup folder",
          <input name="backupDir" value={form.backupDir} onChange={(e) => set("backupDir", e.target.value)} placeholder="/var/backups/mindpal (optional)" />,
          "Where this deployment's backups are written: the fleet shows the newest one's age.",
        )}
        {field(
          "alerts.lagWarningS",
          "Replica lag warning (s)",
          <input name="lagWarningS" inputMode="decimal" value={form.lagWarningS} onChange={(e) => set("lagWarningS", e.target.value)} />,
          "A delayed replica is judged past its delay.",
        )}
        {field(
          "alerts.backupWarningHours",
          "Backup older than (h)",
          <input name="backupWarningHours" inputMode="decimal" value={form.backupWarningHours} onChange={(e) => set("backupWarningHours", e.target.value)} />,
        )}
        {field(
          "alerts.timeoutMs",
          "Check time limit (s)",
          <input name="timeoutS" inputMode="decimal" value={form.timeoutS} onChange={(e) => set("timeoutS", e.target.value)} />,
          "A profile slower than this shows as not answering; the others are not held up.",
        )}
      </div>
      {error && error.kind === "keyringUnavailable" ? (
        <div className="banner" role="alert">
          {error.message}. The password can be kept for this session only (it is never written to a file).
          <button type="button" className="primary" onClick={() => void submit(true)}>
            Keep for this session only
          </button>
        </div>
      ) : (
        error && (
          <p className="error" role="alert" data-kind={error.kind}>
            {error.message}
          </p>
        )
      )}
      <div className="form-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={saving}>
          {saving ? "Saving…" : "Save profile"}
        </button>
      </div>
    </form>
  );
}
