// The one wrapper over the shell's commands; every type comes from ./bindings (generated).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { JobEvent } from "./bindings/JobEvent";
import type { Overview } from "./bindings/Overview";
import type { Profile } from "./bindings/Profile";
import type { ProfileInput } from "./bindings/ProfileInput";
import type { ServerCheck } from "./bindings/ServerCheck";
import type { UiError } from "./bindings/UiError";

export const listProfiles = () => invoke<Profile[]>("list_profiles");
export const saveProfile = (input: ProfileInput) => invoke<Profile>("save_profile", { input });
export const deleteProfile = (name: string) => invoke<null>("delete_profile", { name });
export const sandboxOffer = () => invoke<Profile | null>("sandbox_offer");
export const keyringStatus = () => invoke<null>("keyring_status");
export const testProfile = (name: string) => invoke<ServerCheck[]>("test_profile", { name });
export const loadOverview = (name: string) => invoke<Overview>("load_overview", { name });
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
