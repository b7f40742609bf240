//! The CLI through an SSH bastion (a real sshd on loopback): an unknown host key exits 4
//! printing its fingerprint, `--accept-host-key` accepts exactly that key once, a changed key
//! exits 4 naming both.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mindpal_core::sandbox::bastion::{self, BastionFiles};

const BIN: &str = env!("CARGO_BIN_EXE_mindpal-admin");

struct Sshd(Child);

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(files: &BastionFiles) -> Sshd {
    let child = bastion::command(files)
        .unwrap()
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", files.port)).is_err() {
        assert!(Instant::now() < deadline, "sshd did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sshd(child)
}

fn ping(files: &BastionFiles, known_hosts: &std::path::Path, extra: &[&str]) -> Output {
    let mysql = std::env::var("MINDPAL_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    Command::new(BIN)
        .args(["ping", "--json", "--mysql", &mysql])
        .arg("--ssh")
        .arg(format!("root@127.0.0.1:{}", files.port))
        .arg("--ssh-key")
        .arg(&files.client_key)
        .arg("--ssh-known-hosts")
        .arg(known_hosts)
        .args(extra)
        .env("MINDPAL_PROFILES", "/nonexistent/mindpal-profiles.json")
        .env_remove("MINDPAL_REDIS_URL")
        .output()
        .expect("the binary runs")
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

#[test]
fn host_keys_through_the_cli_exit_4_until_accepted_and_a_changed_key_stays_refused() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let files = bastion::prepare(&dir.path().join("bastion"), port).unwrap();
    let known = dir.path().join("known_hosts");
    let fingerprint = bastion::host_fingerprint(&files).unwrap();
    let sshd = start(&files);

    let o = ping(&files, &known, &[]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let error = json(&o.stdout);
    assert_eq!(error["error"]["kind"], "hostKeyUnknown", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("--accept-host-key {fingerprint}")),
        "{message}"
    );

    let o = ping(&files, &known, &["--accept-host-key", &fingerprint]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let answer = json(&o.stdout);
    assert_eq!(
        answer["mysql"]["path"],
        format!("via root@bastion 127.0.0.1:{port}"),
        "{answer}"
    );
    // Accepted once: the next run needs nothing.
    assert_eq!(ping(&files, &known, &[]).status.code(), Some(0));

    // Another key on the same address is refused, even when "accepted".
    drop(sshd);
    std::fs::remove_file(&files.host_key).unwrap();
    std::fs::remove_file(files.host_key.with_extension("pub")).unwrap();
    let files = bastion::prepare(&files.dir, port).unwrap();
    let changed = bastion::host_fingerprint(&files).unwrap();
    let _sshd = start(&files);
    let o = ping(&files, &known, &["--accept-host-key", &changed]);
    assert_eq!(o.status.code(), Some(4));
    let error = json(&o.stdout);
    assert_eq!(error["error"]["kind"], "hostKeyChanged", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&fingerprint) && message.contains(&changed),
        "{message}"
    );
}
