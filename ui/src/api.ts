// The window's way to the shell: the command wrappers are generated from the Rust commands
// (./bindings/commands.ts, `make bindings`); here are the helpers around them.
export * from "./bindings/commands";
import type { Permission } from "./bindings/Permission";
import type { ProfileView as Profile } from "./bindings/ProfileView";
import type { UiError } from "./bindings/UiError";

/** What the core's access rules let this profile do: the window offers only that. */
export const may = (profile: Pick<Profile, "permissions"> | null | undefined, permission: Permission) =>
  !!profile?.permissions.includes(permission);

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


// Users and digital humans. Reads go to the primary, or to the first replica when asked.

// Conversation review.


/** "12 users", "about 98,000 users", "more than 1,000 users". */
export function formatTotal(t: { count: number; exact: boolean; moreThan: boolean }, one: string, many: string) {
  const n = t.count.toLocaleString("en-US");
  if (t.exact) return `${n} ${t.count === 1 ? one : many}`;
  if (t.moreThan) return `more than ${n} ${many}`;
  return `about ${n} ${many}`;
}

// EXPLAIN workbench and index health.

let jobCounter = 0;
/** A job id of the window's own, for commands it may want to cancel. */
export const newJobId = (what: string) => `${what}-${Date.now()}-${++jobCounter}`;

// Replication and HA health.

// Backup and restore, Redis persistence.

// Monitoring: the dashboard, sessions, top statements, the tuning advisor.

// The Redis cache: status, SCAN browsing, one key, changes, memory analysis.

