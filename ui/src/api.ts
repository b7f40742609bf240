// The one wrapper over the shell's commands; every type comes from ./bindings (generated).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { JobEvent } from "./bindings/JobEvent";
import type { Overview } from "./bindings/Overview";
import type { Permission } from "./bindings/Permission";
import type { Profile as StoredProfile } from "./bindings/Profile";
import type { ProfileView as Profile } from "./bindings/ProfileView";
import type { ProfileInput } from "./bindings/ProfileInput";
import type { ServerCheck } from "./bindings/ServerCheck";
import type { UiError } from "./bindings/UiError";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { ConversationDetail } from "./bindings/ConversationDetail";
import type { ConversationRow } from "./bindings/ConversationRow";
import type { ConversationSearch } from "./bindings/ConversationSearch";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { Review } from "./bindings/Review";
import type { ReviewInput } from "./bindings/ReviewInput";
import type { ThreadAnchor } from "./bindings/ThreadAnchor";
import type { ThreadPage } from "./bindings/ThreadPage";
import type { DigitalHumanAction } from "./bindings/DigitalHumanAction";
import type { DigitalHumanDetail } from "./bindings/DigitalHumanDetail";
import type { DigitalHumanRow } from "./bindings/DigitalHumanRow";
import type { DigitalHumanSearch } from "./bindings/DigitalHumanSearch";
import type { KnowledgeRow } from "./bindings/KnowledgeRow";
import type { KnowledgeSearch } from "./bindings/KnowledgeSearch";
import type { Page } from "./bindings/Page";
import type { TokenScan } from "./bindings/TokenScan";
import type { UserAction } from "./bindings/UserAction";
import type { UserDetail } from "./bindings/UserDetail";
import type { UserRow } from "./bindings/UserRow";
import type { UserSearch } from "./bindings/UserSearch";

export const listProfiles = () => invoke<Profile[]>("list_profiles");
export const saveProfile = (input: ProfileInput) => invoke<Profile>("save_profile", { input });
export const deleteProfile = (name: string) => invoke<null>("delete_profile", { name });
export const sandboxOffer = () => invoke<StoredProfile | null>("sandbox_offer");
export const keyringStatus = () => invoke<null>("keyring_status");
export const testProfile = (name: string) => invoke<ServerCheck[]>("test_profile", { name });
export const loadOverview = (name: string) => invoke<Overview>("load_overview", { name });
/** What the core's access rules let this profile do: the window offers only that. */
export const may = (profile: Pick<Profile, "permissions"> | null | undefined, permission: Permission) =>
  !!profile?.permissions.includes(permission);
export const cancelJob = (job: string) => invoke<boolean>("cancel_job", { job });

/** Starts the migrations job; `onEvent` hears its progress. Resolves to the job id. */
export function applyMigrations(name: string, onEvent: (e: JobEvent) => void): Promise<string> {
  const channel = new Channel<JobEvent>();
  channel.onmessage = onEvent;
  return invoke<string>("apply_migrations", { name, onEvent: channel });
}

/** Commands reject with `{ kind, message }`; anything else is shown as it is. */
export function asUiError(e: unknown): UiError {
  if (typeof e === "object" && e !== null && "kind" in e && "message" in e) {
    return e as UiError;
  }
  return { kind: "io", message: String(e), fields: [] };
}

/** Connection trouble the console recovers from by retrying. */
export const isConnectionLoss = (e: UiError | null | undefined) =>
  !!e && (e.kind === "unreachable" || e.kind === "timeout" || e.kind === "unknownHost");

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

// Users and digital humans. Reads go to the primary, or to the first replica when asked.
export const findUsers = (name: string, search: UserSearch, after: string | null, fromReplica: boolean) =>
  invoke<Page<UserRow>>("find_users", { name, search, after, fromReplica });
export const showUser = (name: string, id: number, fromReplica: boolean) =>
  invoke<UserDetail>("show_user", { name, id, fromReplica });
export const findUserTokens = (name: string, id: number) => invoke<TokenScan>("find_user_tokens", { name, id });
export const userAction = (name: string, id: number, expectedVersion: number, action: UserAction) =>
  invoke<ActionOutcome>("user_action", { name, id, expectedVersion, action });
export const invalidateUserCache = (name: string, id: number) =>
  invoke<ActionOutcome>("invalidate_user_cache", { name, id });
export const findDigitalHumans = (name: string, search: DigitalHumanSearch, after: string | null, fromReplica: boolean) =>
  invoke<Page<DigitalHumanRow>>("find_digital_humans", { name, search, after, fromReplica });
export const showDigitalHuman = (name: string, id: number, fromReplica: boolean) =>
  invoke<DigitalHumanDetail>("show_digital_human", { name, id, fromReplica });
export const findKnowledge = (name: string, search: KnowledgeSearch, after: string | null, fromReplica: boolean) =>
  invoke<Page<KnowledgeRow>>("find_knowledge", { name, search, after, fromReplica });
export const digitalHumanAction = (name: string, id: number, expectedVersion: number, action: DigitalHumanAction) =>
  invoke<ActionOutcome>("digital_human_action", { name, id, expectedVersion, action });

// Conversation review.
export const findConversations = (name: string, search: ConversationSearch, after: string | null, fromReplica: boolean) =>
  invoke<Page<ConversationRow>>("find_conversations", { name, search, after, fromReplica });
export const showConversation = (name: string, id: number, fromReplica: boolean) =>
  invoke<ConversationDetail>("show_conversation", { name, id, fromReplica });
export const conversationThread = (name: string, id: number, anchor: ThreadAnchor, limit: number, fromReplica: boolean) =>
  invoke<ThreadPage>("conversation_thread", { name, id, anchor, limit, fromReplica });
export const findInThread = (name: string, id: number, text: string, fromReplica: boolean) =>
  invoke<number[]>("find_in_thread", { name, id, text, fromReplica });
export const reviewConversation = (name: string, id: number, input: ReviewInput) =>
  invoke<Review>("review_conversation", { name, id, input });
/** Writes the export into the Downloads folder; resolves to its path. */
export const exportConversation = (name: string, id: number, format: ExportFormat) =>
  invoke<string>("export_conversation", { name, id, format });

/** `2026-11-20T10:00:00` → `2026-11-20 10:00`; a dash when absent. */
export const formatTime = (t: string | null | undefined) => (t ? t.replace("T", " ").slice(0, 16) : "—");

/** "12 users", "about 98,000 users", "more than 1,000 users". */
export function formatTotal(t: { count: number; exact: boolean; moreThan: boolean }, one: string, many: string) {
  const n = t.count.toLocaleString("en-US");
  if (t.exact) return `${n} ${t.count === 1 ? one : many}`;
  if (t.moreThan) return `more than ${n} ${many}`;
  return `about ${n} ${many}`;
}

// EXPLAIN workbench and index health.
import type { ExplainOptions } from "./bindings/ExplainOptions";
import type { ExplainReport } from "./bindings/ExplainReport";
import type { HealthReport } from "./bindings/HealthReport";
import type { HotQuery } from "./bindings/HotQuery";
import type { IndexReport } from "./bindings/IndexReport";
import type { SchemaNames } from "./bindings/SchemaNames";

/** Explains on the profile's primary; `cancelJob(job)` stops it, on the server too. */
export const explainStatement = (name: string, sql: string, options: ExplainOptions, job: string) =>
  invoke<ExplainReport>("explain_statement", { name, sql, options, job });
/** Reads a plan pasted or opened from a file; no connection. */
export const explainPlan = (text: string) => invoke<ExplainReport>("explain_plan", { text });
export const hotQueries = () => invoke<HotQuery[]>("hot_queries");
export const schemaNames = (name: string) => invoke<SchemaNames>("schema_names", { name });
export const listDatabases = (name: string) => invoke<string[]>("list_databases", { name });
export const indexReport = (name: string, database: string | null) => invoke<IndexReport>("index_report", { name, database });
export function schemaHealth(name: string, job: string, onEvent: (e: JobEvent) => void): Promise<HealthReport> {
  const channel = new Channel<JobEvent>();
  channel.onmessage = onEvent;
  return invoke<HealthReport>("schema_health", { name, job, onEvent: channel });
}
let jobCounter = 0;
/** A job id of the window's own, for commands it may want to cancel. */
export const newJobId = (what: string) => `${what}-${Date.now()}-${++jobCounter}`;

// Replication and HA health.
import type { HeartbeatTable } from "./bindings/HeartbeatTable";
import type { ReplicationReport } from "./bindings/ReplicationReport";
import type { Thresholds } from "./bindings/Thresholds";

export const replicationStatus = (name: string, thresholds: Thresholds) =>
  invoke<ReplicationReport>("replication_status", { name, thresholds });
export const createHeartbeat = (name: string) => invoke<HeartbeatTable>("create_heartbeat", { name });
export const beatHeartbeat = (name: string) => invoke<null>("beat_heartbeat", { name });

// Backup and restore, Redis persistence.
import type { BackupEntry } from "./bindings/BackupEntry";
import type { BackupOutcome } from "./bindings/BackupOutcome";
import type { BackupProgress } from "./bindings/BackupProgress";
import type { Persistence } from "./bindings/Persistence";
import type { PruneReport } from "./bindings/PruneReport";
import type { RestoreOptions } from "./bindings/RestoreOptions";
import type { RestoreReport } from "./bindings/RestoreReport";
import type { Trigger } from "./bindings/Trigger";
import type { VerifyReport } from "./bindings/VerifyReport";

export const backupFolder = () => invoke<string>("backup_folder");
/** Backs up the profile's database; `cancelJob(job)` stops it and removes the partial folder. */
export function startBackup(name: string, outDir: string, jobs: number, job: string, onProgress: (p: BackupProgress) => void): Promise<BackupOutcome> {
  const channel = new Channel<BackupProgress>();
  channel.onmessage = onProgress;
  return invoke<BackupOutcome>("start_backup", { name, outDir, jobs, job, onEvent: channel });
}
export const listBackups = (outDir: string) => invoke<BackupEntry[]>("list_backups", { outDir });
export const verifyBackup = (path: string) => invoke<VerifyReport>("verify_backup", { path });
export const pruneBackups = (outDir: string, keepDays: number, dryRun: boolean) => invoke<PruneReport>("prune_backups", { outDir, keepDays, dryRun });
export function restoreBackup(name: string, path: string, options: RestoreOptions, job: string, onProgress: (p: BackupProgress) => void): Promise<RestoreReport> {
  const channel = new Channel<BackupProgress>();
  channel.onmessage = onProgress;
  return invoke<RestoreReport>("restore_backup", { name, path, options, job, onEvent: channel });
}
export const redisPersistence = (name: string) => invoke<Persistence>("redis_persistence", { name });
export const redisPersist = (name: string, trigger: Trigger) => invoke<string>("redis_persist", { name, trigger });

// Monitoring: the dashboard, sessions, top statements, the tuning advisor.
import type { Advice } from "./bindings/Advice";
import type { Dashboard } from "./bindings/Dashboard";
import type { Killed } from "./bindings/Killed";
import type { KillMode } from "./bindings/KillMode";
import type { SessionFilter } from "./bindings/SessionFilter";
import type { SessionsReport } from "./bindings/SessionsReport";
import type { TopReport } from "./bindings/TopReport";

export const monitorDashboard = (name: string) => invoke<Dashboard>("monitor_dashboard", { name });
export const monitorSessions = (name: string, filter: SessionFilter, longAfterSeconds: number) =>
  invoke<SessionsReport>("monitor_sessions", { name, filter, longAfterSeconds });
export const monitorKill = (name: string, threadId: number, mode: KillMode) => invoke<Killed>("monitor_kill", { name, threadId, mode });
export const monitorTop = (name: string, limit: number) => invoke<TopReport>("monitor_top", { name, limit });
export const monitorAdvice = (name: string) => invoke<Advice[]>("monitor_advice", { name });

// The Redis cache: status, SCAN browsing, one key, changes, memory analysis.
import type { KeyChange } from "./bindings/KeyChange";
import type { KeyRequest } from "./bindings/KeyRequest";
import type { KeyView } from "./bindings/KeyView";
import type { MemoryAnalysis } from "./bindings/MemoryAnalysis";
import type { RedisStatus } from "./bindings/RedisStatus";
import type { ScanPage } from "./bindings/ScanPage";
import type { ScanRequest } from "./bindings/ScanRequest";

export const redisStatus = (name: string) => invoke<RedisStatus[]>("redis_status", { name });
export const cacheScan = (name: string, request: ScanRequest) => invoke<ScanPage>("cache_scan", { name, request });
export const cacheGet = (name: string, request: KeyRequest) => invoke<KeyView>("cache_get", { name, request });
export const cacheChange = (name: string, key: string, change: KeyChange) => invoke<boolean>("cache_change", { name, key, change });
export const cacheAnalyze = (name: string, sample: number) => invoke<MemoryAnalysis>("cache_analyze", { name, sample });
