// The one wrapper over the shell's commands; every type comes from src/bindings (generated).
import { invoke } from "@tauri-apps/api/core";
import type { ProfileSummary } from "./bindings/ProfileSummary";
import type { ServerCheck } from "./bindings/ServerCheck";
import type { UiError } from "./bindings/UiError";

export const listProfiles = () => invoke<ProfileSummary[]>("list_profiles");
export const checkProfile = (name: string) => invoke<ServerCheck[]>("check_profile", { name });

/** Commands reject with `{ kind, message }`; anything else is shown as it is. */
export function asUiError(e: unknown): UiError {
  if (typeof e === "object" && e !== null && "kind" in e && "message" in e) {
    return e as UiError;
  }
  return { kind: "io", message: String(e) };
}
