//! The workspace's rules against the real MariaDB: a silent host stalls only its own
//! profile, a refused password is forgotten and the next one used, and a store changed by
//! another process is read again.

use std::sync::Arc;
use std::time::Duration;

use mindpal_core::ErrorKind;
use mindpal_core::mysql::{MysqlTarget, quote_ident};
use mindpal_core::profiles;
use mindpal_core::profiles::secrets::Slot;
use mindpal_core::secret::Secret;
use mindpal_core::workspace::{FileStore, Saved, Workspace};

use crate::support::{admin, mysql_url, profile};

fn the_test_server() -> MysqlTarget {
    MysqlTarget::from_url(&mysql_url()).unwrap()
}

#[tokio::test]
async fn a_silent_host_stalls_only_its_own_profile() {
    // A host that accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("profiles.json");
    profiles::write_list(
        &store,
        &[
            profile("silent", MysqlTarget::new("127.0.0.1", port, "root")),
            profile("live", the_test_server()),
        ],
    )
    .unwrap();
    let workspace =
        Arc::new(Workspace::new(FileStore(store)).with_connect_timeout(Duration::from_secs(60)));

    let silent_profile = workspace.profile("silent").await.unwrap();
    let stalled = tokio::spawn({
        let workspace = workspace.clone();
        async move { workspace.primary(&silent_profile).await.map(|_| ()) }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Every call of the other profile answers while the silent one still waits.
    let live = workspace.profile("live").await.unwrap();
    for _ in 0..3 {
        let server = workspace.primary(&live).await.unwrap();
        let (one,): (i64,) = sqlx::query_as("SELECT 1")
            .fetch_one(&server.pool)
            .await
            .unwrap();
        assert_eq!(one, 1);
    }
    assert!(
        !stalled.is_finished(),
        "the silent host is still connecting"
    );
    stalled.abort();
    holder.abort();
}

#[tokio::test]
async fn a_refused_password_is_forgotten_and_the_next_one_used() {
    let admin = admin().await;
    let user = format!("mp_ws_{}", std::process::id());
    for host in ["%", "localhost"] {
        let sql = format!(
            "CREATE OR REPLACE USER {}@'{host}' IDENTIFIED BY 'right-one'",
            quote_ident(&user)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&admin.pool)
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("profiles.json");
    let workspace = Arc::new(Workspace::new(FileStore(store.clone())));
    let mut target = the_test_server();
    target.user = user.clone();
    target.password = None;
    let typed = |p: &str| vec![(Slot::Mysql, Secret::new(p.to_owned()))];

    // Saved for this session only: nothing reaches the keyring or the store file.
    let saved = workspace
        .save_profile(profile("app", target.clone()), None, typed("wrong"), true)
        .unwrap();
    assert!(matches!(saved, Saved::Profile(_)), "{saved:?}");
    let stored = std::fs::read_to_string(&store).unwrap();
    assert!(!stored.contains("wrong"), "{stored}");
    let app = workspace.profile("app").await.unwrap();
    let refused = workspace
        .primary(&app)
        .await
        .map(|_| ())
        .expect_err("refused");
    assert_eq!(refused.kind(), ErrorKind::AuthFailed, "{refused}");
    assert!(!refused.to_string().contains("wrong"), "{refused}");

    // The right password, saved over it, is the very next call's.
    workspace
        .save_profile(
            profile("app", target),
            Some("app"),
            typed("right-one"),
            true,
        )
        .unwrap();
    let app = workspace.profile("app").await.unwrap();
    let server = workspace.primary(&app).await.unwrap();
    let (me,): (String,) = sqlx::query_as("SELECT CURRENT_USER()")
        .fetch_one(&server.pool)
        .await
        .unwrap();
    assert!(me.starts_with(&user), "{me}");

    // A form that cannot be saved says why and writes nothing.
    let invalid = workspace
        .save_profile(profile("  ", the_test_server()), None, vec![], true)
        .unwrap();
    assert!(matches!(invalid, Saved::Invalid(ref fields) if !fields.is_empty()));
    assert_eq!(workspace.profiles().unwrap().len(), 1);

    workspace.delete_profile("app").unwrap();
    assert!(workspace.profiles().unwrap().is_empty());
    let gone = workspace.profile("app").await.expect_err("deleted");
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    for host in ["%", "localhost"] {
        let sql = format!("DROP USER IF EXISTS {}@'{host}'", quote_ident(&user));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&admin.pool)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_store_changed_by_another_process_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("profiles.json");
    profiles::write_list(&store, &[profile("p", the_test_server())]).unwrap();
    let workspace = Arc::new(Workspace::new(FileStore(store.clone())));
    let before = workspace.profile("p").await.unwrap();
    assert!(!before.read_only);
    // The CLI (another process) marks it read-only.
    let mut changed = profile("p", the_test_server());
    changed.read_only = true;
    profiles::write_list(&store, &[changed]).unwrap();
    let after = workspace.profile("p").await.unwrap();
    assert!(after.read_only, "the store is read again");
    assert!(!after.actor().may(mindpal_core::access::Permission::Kill));
}
