// Generated from src-tauri/src/commands by `make bindings`: do not edit.
// One wrapper per command, with the argument and result types of its Rust signature.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ActionOutcome } from "./ActionOutcome";
import type { Advice } from "./Advice";
import type { AuditRow } from "./AuditRow";
import type { AuditSearch } from "./AuditSearch";
import type { BackupEntry } from "./BackupEntry";
import type { BackupOutcome } from "./BackupOutcome";
import type { BackupProgress } from "./BackupProgress";
import type { Claim } from "./Claim";
import type { ClaimEnd } from "./ClaimEnd";
import type { ClaimState } from "./ClaimState";
import type { ConversationDetail } from "./ConversationDetail";
import type { ConversationRow } from "./ConversationRow";
import type { ConversationSearch } from "./ConversationSearch";
import type { Dashboard } from "./Dashboard";
import type { DigitalHumanAction } from "./DigitalHumanAction";
import type { DigitalHumanDetail } from "./DigitalHumanDetail";
import type { DigitalHumanRow } from "./DigitalHumanRow";
import type { DigitalHumanSearch } from "./DigitalHumanSearch";
import type { ExplainOptions } from "./ExplainOptions";
import type { ExplainReport } from "./ExplainReport";
import type { ExportFormat } from "./ExportFormat";
import type { FleetEntry } from "./FleetEntry";
import type { HealthReport } from "./HealthReport";
import type { HeartbeatTable } from "./HeartbeatTable";
import type { HotQuery } from "./HotQuery";
import type { IndexReport } from "./IndexReport";
import type { JobEvent } from "./JobEvent";
import type { KeyChange } from "./KeyChange";
import type { KeyRequest } from "./KeyRequest";
import type { KeyView } from "./KeyView";
import type { KillMode } from "./KillMode";
import type { Killed } from "./Killed";
import type { KnowledgeRow } from "./KnowledgeRow";
import type { KnowledgeSearch } from "./KnowledgeSearch";
import type { MemoryAnalysis } from "./MemoryAnalysis";
import type { Overview } from "./Overview";
import type { Page } from "./Page";
import type { Persistence } from "./Persistence";
import type { Profile } from "./Profile";
import type { ProfileInput } from "./ProfileInput";
import type { ProfileView } from "./ProfileView";
import type { PruneReport } from "./PruneReport";
import type { QueueSource } from "./QueueSource";
import type { QueueSummary } from "./QueueSummary";
import type { RedisStatus } from "./RedisStatus";
import type { ReplicationReport } from "./ReplicationReport";
import type { RestorableWindow } from "./RestorableWindow";
import type { RestoreOptions } from "./RestoreOptions";
import type { RestoreReport } from "./RestoreReport";
import type { Review } from "./Review";
import type { ReviewInput } from "./ReviewInput";
import type { ReviewerDashboard } from "./ReviewerDashboard";
import type { SampleReport } from "./SampleReport";
import type { SampleSpec } from "./SampleSpec";
import type { ScanPage } from "./ScanPage";
import type { ScanRequest } from "./ScanRequest";
import type { SchemaNames } from "./SchemaNames";
import type { ServerCheck } from "./ServerCheck";
import type { SessionFilter } from "./SessionFilter";
import type { SessionsReport } from "./SessionsReport";
import type { SuggestedIndex } from "./SuggestedIndex";
import type { ThreadAnchor } from "./ThreadAnchor";
import type { ThreadPage } from "./ThreadPage";
import type { Thresholds } from "./Thresholds";
import type { TokenScan } from "./TokenScan";
import type { TopReport } from "./TopReport";
import type { Total } from "./Total";
import type { TrialOptions } from "./TrialOptions";
import type { TrialReport } from "./TrialReport";
import type { Trigger } from "./Trigger";
import type { TunnelView } from "./TunnelView";
import type { UserAction } from "./UserAction";
import type { UserDetail } from "./UserDetail";
import type { UserRow } from "./UserRow";
import type { UserSearch } from "./UserSearch";
import type { VerifyReport } from "./VerifyReport";

/** A page of the audit trail of profile `name`, filtered; support profiles get the trail of reviews and exports only, masked. */
export function findAudit(name: string, search: AuditSearch, after: string | null): Promise<Page<AuditRow>> {
  return invoke<Page<AuditRow>>("find_audit", { name, search, after });
}

/** Writes every matching row of the audit trail of profile `name` (all pages) to the Downloads folder as CSV or JSON lines; returns the file's path. */
export function exportAudit(name: string, search: AuditSearch, json: boolean): Promise<string> {
  return invoke<string>("export_audit", { name, search, json });
}

/** Where backups go unless the operator picks another folder. */
export function backupFolder(): Promise<string> {
  return invoke<string>("backup_folder");
}

/** Backs up the profile's database into `out_dir`; progress on `on_event`, `cancel_job(job)` stops it (and its statements on the server) and removes the partial folder. */
export function startBackup(name: string, outDir: string, jobs: number, job: string, onEvent: (message: BackupProgress) => void): Promise<BackupOutcome> {
  const onEventChannel = new Channel<BackupProgress>();
  onEventChannel.onmessage = onEvent;
  return invoke<BackupOutcome>("start_backup", { name, outDir, jobs, job, onEvent: onEventChannel });
}

export function listBackups(outDir: string): Promise<Array<BackupEntry>> {
  return invoke<Array<BackupEntry>>("list_backups", { outDir });
}

export function verifyBackup(path: string): Promise<VerifyReport> {
  return invoke<VerifyReport>("verify_backup", { path });
}

/** Plans (`dry_run`) or removes old backups; a removal is recorded in the profile's operation_logs before anything goes. */
export function pruneBackups(name: string, outDir: string, keepDays: number, dryRun: boolean): Promise<PruneReport> {
  return invoke<PruneReport>("prune_backups", { name, outDir, keepDays, dryRun });
}

/** Restores a backup into a database of the operator's choosing, then verifies every table. */
export function restoreBackup(name: string, path: string, options: RestoreOptions, job: string, onEvent: (message: BackupProgress) => void): Promise<RestoreReport> {
  const onEventChannel = new Channel<BackupProgress>();
  onEventChannel.onmessage = onEvent;
  return invoke<RestoreReport>("restore_backup", { name, path, options, job, onEvent: onEventChannel });
}

/** The moments a backup can be restored to on the profile's server, or why there are none. */
export function backupWindow(name: string, path: string): Promise<RestorableWindow> {
  return invoke<RestorableWindow>("backup_window", { name, path });
}

export function redisPersistence(name: string): Promise<Persistence> {
  return invoke<Persistence>("redis_persistence", { name });
}

/** BGSAVE or BGREWRITEAOF on the profile's Redis master, recorded in operation_logs. */
export function redisPersist(name: string, trigger: Trigger): Promise<string> {
  return invoke<string>("redis_persist", { name, trigger });
}

/** Every data node's status: one, or each cluster master. */
export function redisStatus(name: string): Promise<Array<RedisStatus>> {
  return invoke<Array<RedisStatus>>("redis_status", { name });
}

export function cacheScan(name: string, request: ScanRequest): Promise<ScanPage> {
  return invoke<ScanPage>("cache_scan", { name, request });
}

export function cacheGet(name: string, request: KeyRequest): Promise<KeyView> {
  return invoke<KeyView>("cache_get", { name, request });
}

/** Deletes or re-expires a key after the window asked; written to operation_logs. */
export function cacheChange(name: string, key: string, change: KeyChange): Promise<boolean> {
  return invoke<boolean>("cache_change", { name, key, change });
}

export function cacheAnalyze(name: string, sample: number): Promise<MemoryAnalysis> {
  return invoke<MemoryAnalysis>("cache_analyze", { name, sample });
}

export function findConversations(name: string, search: ConversationSearch, after: string | null, fromReplica: boolean): Promise<Page<ConversationRow>> {
  return invoke<Page<ConversationRow>>("find_conversations", { name, search, after, fromReplica });
}

/** *Count now*: counts a search shown as not counted, bounded on the server (a cap and a time limit) and stopped there by `cancel_job(job)`. */
export function countConversations(name: string, search: ConversationSearch, job: string, fromReplica: boolean): Promise<Total> {
  return invoke<Total>("count_conversations", { name, search, job, fromReplica });
}

export function showConversation(name: string, id: string, fromReplica: boolean): Promise<ConversationDetail> {
  return invoke<ConversationDetail>("show_conversation", { name, id, fromReplica });
}

export function conversationThread(name: string, id: string, anchor: ThreadAnchor, limit: number, fromReplica: boolean): Promise<ThreadPage> {
  return invoke<ThreadPage>("conversation_thread", { name, id, anchor, limit, fromReplica });
}

export function findInThread(name: string, id: string, text: string, fromReplica: boolean): Promise<Array<string>> {
  return invoke<Array<string>>("find_in_thread", { name, id, text, fromReplica });
}

export function reviewConversation(name: string, id: string, input: ReviewInput): Promise<Review> {
  return invoke<Review>("review_conversation", { name, id, input });
}

/** Writes the export to the Downloads folder (or home) and returns where. */
export function exportConversation(name: string, id: string, format: ExportFormat): Promise<string> {
  return invoke<string>("export_conversation", { name, id, format });
}

/** Where the app writes its log. */
export function logFolder(): Promise<string> {
  return invoke<string>("log_folder");
}

/** Opens the log folder in the desktop's file manager. */
export function openLogFolder(): Promise<null> {
  return invoke<null>("open_log_folder");
}

/** Writes the diagnostics (versions, system, WebKit settings, keyring, profiles without secrets, the end of the log) to the Downloads folder; returns the file's path. */
export function saveDiagnostics(): Promise<string> {
  return invoke<string>("save_diagnostics");
}

export function findUsers(name: string, search: UserSearch, after: string | null, fromReplica: boolean): Promise<Page<UserRow>> {
  return invoke<Page<UserRow>>("find_users", { name, search, after, fromReplica });
}

export function showUser(name: string, id: string, fromReplica: boolean): Promise<UserDetail> {
  return invoke<UserDetail>("show_user", { name, id, fromReplica });
}

export function findUserTokens(name: string, id: string): Promise<TokenScan> {
  return invoke<TokenScan>("find_user_tokens", { name, id });
}

export function userAction(name: string, id: string, expectedVersion: number, action: UserAction): Promise<ActionOutcome> {
  return invoke<ActionOutcome>("user_action", { name, id, expectedVersion, action });
}

export function invalidateUserCache(name: string, id: string): Promise<ActionOutcome> {
  return invoke<ActionOutcome>("invalidate_user_cache", { name, id });
}

export function findDigitalHumans(name: string, search: DigitalHumanSearch, after: string | null, fromReplica: boolean): Promise<Page<DigitalHumanRow>> {
  return invoke<Page<DigitalHumanRow>>("find_digital_humans", { name, search, after, fromReplica });
}

export function showDigitalHuman(name: string, id: string, fromReplica: boolean): Promise<DigitalHumanDetail> {
  return invoke<DigitalHumanDetail>("show_digital_human", { name, id, fromReplica });
}

export function findKnowledge(name: string, search: KnowledgeSearch, after: string | null, fromReplica: boolean): Promise<Page<KnowledgeRow>> {
  return invoke<Page<KnowledgeRow>>("find_knowledge", { name, search, after, fromReplica });
}

export function digitalHumanAction(name: string, id: string, expectedVersion: number, action: DigitalHumanAction): Promise<ActionOutcome> {
  return invoke<ActionOutcome>("digital_human_action", { name, id, expectedVersion, action });
}

/** Explains a statement on the profile's primary; `job` lets the window cancel it (which also stops it on the server). */
export function explainStatement(name: string, sql: string, options: ExplainOptions, job: string): Promise<ExplainReport> {
  return invoke<ExplainReport>("explain_statement", { name, sql, options, job });
}

/** Reads a plan pasted or opened from a file: no connection. */
export function explainPlan(text: string): Promise<ExplainReport> {
  return invoke<ExplainReport>("explain_plan", { text });
}

export function hotQueries(): Promise<Array<HotQuery>> {
  return invoke<Array<HotQuery>>("hot_queries");
}

export function schemaHealth(name: string, job: string, onEvent: (message: JobEvent) => void): Promise<HealthReport> {
  const onEventChannel = new Channel<JobEvent>();
  onEventChannel.onmessage = onEvent;
  return invoke<HealthReport>("schema_health", { name, job, onEvent: onEventChannel });
}

export function schemaNames(name: string): Promise<SchemaNames> {
  return invoke<SchemaNames>("schema_names", { name });
}

export function listDatabases(name: string): Promise<Array<string>> {
  return invoke<Array<string>>("list_databases", { name });
}

/** The index report of `database` (default: the profile's), from `information_schema`. */
export function indexReport(name: string, database: string | null): Promise<IndexReport> {
  return invoke<IndexReport>("index_report", { name, database });
}

/** *Try it*: the lint's suggested index on a scratch copy of the statement's tables, both plans side by side; `job` cancels it, and the copy is dropped either way. */
export function tryIndex(name: string, sql: string, index: SuggestedIndex, options: TrialOptions, job: string, onEvent: (message: JobEvent) => void): Promise<TrialReport> {
  const onEventChannel = new Channel<JobEvent>();
  onEventChannel.onmessage = onEvent;
  return invoke<TrialReport>("try_index", { name, sql, index, options, job, onEvent: onEventChannel });
}

/** Checks profile `name` within its own time limit: primary, replication, Redis, load, backup age and schema, with what is wrong in words, worst first. A profile whose passwords or bastion cannot be had is an entry saying so, not an error. */
export function checkFleetProfile(name: string): Promise<FleetEntry> {
  return invoke<FleetEntry>("check_fleet_profile", { name });
}

/** One more reading of the server's counters, added to the profile's dashboard history. */
export function monitorDashboard(name: string): Promise<Dashboard> {
  return invoke<Dashboard>("monitor_dashboard", { name });
}

export function monitorSessions(name: string, filter: SessionFilter, longAfterSeconds: number): Promise<SessionsReport> {
  return invoke<SessionsReport>("monitor_sessions", { name, filter, longAfterSeconds });
}

/** KILL QUERY or KILL CONNECTION, after the window asked; written to operation_logs. */
export function monitorKill(name: string, threadId: string, mode: KillMode): Promise<Killed> {
  return invoke<Killed>("monitor_kill", { name, threadId, mode });
}

export function monitorTop(name: string, limit: number): Promise<TopReport> {
  return invoke<TopReport>("monitor_top", { name, limit });
}

/** The MySQL settings' advice, then Redis's (an unreachable Redis is one Unknown line). */
export function monitorAdvice(name: string): Promise<Array<Advice>> {
  return invoke<Array<Advice>>("monitor_advice", { name });
}

export function loadOverview(name: string): Promise<Overview> {
  return invoke<Overview>("load_overview", { name });
}

/** Applies pending migrations as a job: returns its id at once, reports each step on `on_event`, stops before the next step when cancelled. */
export function applyMigrations(name: string, onEvent: (message: JobEvent) => void): Promise<string> {
  const onEventChannel = new Channel<JobEvent>();
  onEventChannel.onmessage = onEvent;
  return invoke<string>("apply_migrations", { name, onEvent: onEventChannel });
}

export function cancelJob(job: string): Promise<boolean> {
  return invoke<boolean>("cancel_job", { job });
}

export function listProfiles(): Promise<Array<ProfileView>> {
  return invoke<Array<ProfileView>>("list_profiles");
}

export function saveProfile(input: ProfileInput): Promise<ProfileView> {
  return invoke<ProfileView>("save_profile", { input });
}

export function deleteProfile(name: string): Promise<null> {
  return invoke<null>("delete_profile", { name });
}

/** The sandbox's profile, when the sandbox runs and no profile of that name exists yet. */
export function sandboxOffer(): Promise<Profile | null> {
  return invoke<Profile | null>("sandbox_offer");
}

/** Whether passwords can be saved in the OS keyring. */
export function keyringStatus(): Promise<null> {
  return invoke<null>("keyring_status");
}

export function testProfile(name: string): Promise<Array<ServerCheck>> {
  return invoke<Array<ServerCheck>>("test_profile", { name });
}

/** Trusts the host key an SSH hop offered with `fingerprint` (the one the window showed, and only that one): it is written to the console's known-hosts file and never asked again. */
export function acceptHostKey(fingerprint: string): Promise<string> {
  return invoke<string>("accept_host_key", { fingerprint });
}

/** The state of the profile's SSH tunnel in this session; `None` without a bastion or before anything went through it. */
export function tunnelState(name: string): Promise<TunnelView | null> {
  return invoke<TunnelView | null>("tunnel_state", { name });
}

export function reviewerName(name: string): Promise<string> {
  return invoke<string>("reviewer_name", { name });
}

/** Claims the next conversation of `source` for this reviewer; `None` when nothing is left. */
export function queueNext(name: string, source: QueueSource): Promise<Claim | null> {
  return invoke<Claim | null>("queue_next", { name, source });
}

/** A conversation opened by hand: claimed for this reviewer when nobody else holds it, else whose claim it is. Profiles that cannot review only learn who holds it. */
export function queueOpen(name: string, id: string): Promise<ClaimState> {
  return invoke<ClaimState>("queue_open", { name, id });
}

/** Ends this reviewer's claim: skipped (not offered to them again) or released (closed). */
export function queueRelease(name: string, id: string, end: ClaimEnd): Promise<boolean> {
  return invoke<boolean>("queue_release", { name, id, end });
}

/** The named queues (QA samples), newest first, with how many conversations are done. */
export function reviewQueues(name: string): Promise<Array<QueueSummary>> {
  return invoke<Array<QueueSummary>>("review_queues", { name });
}

/** Draws a QA sample and keeps it as the named queue `queue` (recorded in operation_logs). */
export function sampleForQa(name: string, queue: string, spec: SampleSpec): Promise<SampleReport> {
  return invoke<SampleReport>("sample_for_qa", { name, queue, spec });
}

/** Reviews per reviewer and day, and the agreement of each pair; support profiles get their own figures only. */
export function reviewerDashboard(name: string, from: string, to: string): Promise<ReviewerDashboard> {
  return invoke<ReviewerDashboard>("reviewer_dashboard", { name, from, to });
}

/** One health check of the profile's whole topology; the window calls it again only after the last one answered, so a slow server never piles up requests. */
export function replicationStatus(name: string, thresholds: Thresholds): Promise<ReplicationReport> {
  return invoke<ReplicationReport>("replication_status", { name, thresholds });
}

/** Creates `percona.heartbeat` on the primary (audited) and writes the first beat. */
export function createHeartbeat(name: string): Promise<HeartbeatTable> {
  return invoke<HeartbeatTable>("create_heartbeat", { name });
}

/** One beat of the heartbeat, while the Replication screen keeps it going. */
export function beatHeartbeat(name: string): Promise<null> {
  return invoke<null>("beat_heartbeat", { name });
}
