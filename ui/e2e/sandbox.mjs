// What the test files that drive the sandbox's own topology share: the E2E_* variables and
// the sandbox profile (with its replica and Sentinel) put in the window's store.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end tests with scripts/e2e.sh`);
  return v;
};

/** Adds the CLI store's `sandbox` profile to the window's store, before the window starts. */
export function storeSandboxProfile() {
  const storeFile = env("E2E_STORE_FILE");
  const spare = JSON.parse(readFileSync(env("E2E_SPARE_STORE"), "utf8")).profiles.find((p) => p.name === "sandbox");
  let store = { profiles: [] };
  try {
    store = JSON.parse(readFileSync(storeFile, "utf8"));
  } catch {
    // No store yet: this file runs alone.
  }
  store.profiles = store.profiles.filter((p) => p.name !== "sandbox").concat([spare]);
  mkdirSync(dirname(storeFile), { recursive: true });
  writeFileSync(storeFile, JSON.stringify(store));
}
