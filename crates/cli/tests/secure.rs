//! `sandbox up --secure` keeps its passwords in the OS keyring and nowhere else: without a
//! keyring it starts nothing and says why.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");

#[test]
fn a_secure_sandbox_without_a_keyring_starts_nothing() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sandbox");
    let o = Command::new(BIN)
        .args(["sandbox", "up", "--secure", "--no-seed", "--dir"])
        .arg(&dir)
        .env("MINDPAL_PROFILES", home.path().join("profiles.json"))
        // No Secret Service reachable: the passwords would have nowhere safe to go.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("keyring is not available"), "{stderr}");
    assert!(!dir.exists(), "no server was set up");
    assert!(!home.path().join("profiles.json").exists());
}
