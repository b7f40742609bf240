//! Where the console keeps its own files: one folder under the user's data directory, shared
//! by the window and the CLI (profiles, known hosts, logs, the sandbox), and the name the OS
//! keyring files its passwords under.

use std::path::PathBuf;

/// The desktop app's identifier: its folder is `<data dir>/<identifier>/`.
pub const APP_IDENTIFIER: &str = "com.mindpal.admin";

/// `<data dir>/com.mindpal.admin/<name>`, or `None` without a user data directory.
pub fn data_path(name: &str) -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_IDENTIFIER).join(name))
}
