//! Backup and restore against the real MariaDB: a backup taken while writes continue restores
//! elsewhere with every table's CHECKSUM equal to the snapshot's; damage, edits, foreign
//! folders and existing targets are refused with nothing loaded; cancel and a frozen server
//! leave no complete-looking backup.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mindpal_core::backup::{
    self, BackupOptions, BackupState, ChecksumPolicy, Phase, RestoreOptions,
};
use mindpal_core::mysql::{MysqlServer, quote_ident};
use mindpal_core::sandbox::{self, Component, UpOptions};
use mindpal_core::{CancellationToken, ErrorKind};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::support::{TIMEOUT, admin, database_exists, drop_database, free_port_run, seeded};

fn options(out: &Path, database: &str) -> BackupOptions {
    BackupOptions {
        database: Some(database.to_owned()),
        jobs: 3,
        // Small chunks: every big table is split across the connections.
        chunk_rows: 1_000,
        checksum: ChecksumPolicy::All,
        ..BackupOptions::new(out)
    }
}

async fn checksum(server: &MysqlServer, database: &str, table: &str) -> u64 {
    let sql = format!(
        "CHECKSUM TABLE {}.{}",
        quote_ident(database),
        quote_ident(table)
    );
    let (_, sum): (String, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(&server.pool)
        .await
        .unwrap();
    sum as u64
}

async fn audit_actions(server: &MysqlServer) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT action FROM operation_logs WHERE action LIKE 'backup.%' ORDER BY id",
    )
    .fetch_all(&server.pool)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_writes_restores_equal_to_its_snapshot() {
    let db = seeded("backup", 7, None).await;
    let out = tempfile::tempdir().unwrap();
    let server = db.server.clone();

    // Writes go on for the whole backup: new settings and edited users.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (server, stop, written) = (server.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                sqlx::query("INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, ?, 'during backup')")
                    .bind(format!("backup.write.{n}"))
                    .execute(&server.pool)
                    .await
                    .unwrap();
                sqlx::query("UPDATE users SET nickname = CONCAT('w', ?) WHERE id = 1 + (? % 100)")
                    .bind(n)
                    .bind(n)
                    .execute(&server.pool)
                    .await
                    .unwrap();
                written.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 5 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let events = std::sync::Mutex::new(Vec::new());
    let outcome = backup::run(
        &server,
        mindpal_core::access::Actor::OPERATOR,
        &options(out.path(), &db.name),
        &|p| events.lock().unwrap().push(p),
        &CancellationToken::new(),
    )
    .await
    .expect("the backup completes");
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    assert!(written.load(Ordering::Relaxed) > 10, "writes went on");

    let m = &outcome.manifest;
    assert_eq!(m.snapshot.method, "BACKUP STAGE BLOCK_COMMIT");
    assert_eq!(m.snapshot.connections, 3);
    assert!(
        m.snapshot.lock_held_ms < 2_000.0,
        "{}",
        m.snapshot.lock_held_ms
    );
    let messages = m
        .tables
        .iter()
        .find(|t| t.name == "conversation_messages")
        .unwrap();
    assert!(
        messages.files.len() > 1,
        "the messages are split into chunks"
    );
    assert!(m.tables.iter().all(|t| t.server_checksum.is_some()));
    let events = events.into_inner().unwrap();
    assert!(events.iter().any(|e| e.phase == Phase::Dumping));
    let last = events.last().unwrap();
    assert_eq!(last.phase, Phase::Finishing);
    assert_eq!(last.tables_done, last.tables_total);
    assert_eq!(last.rows_done, m.rows());
    assert!(Path::new(&outcome.path).join("manifest.json").exists());
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "no partial folder stays: {names:?}");

    // The source moved on after the snapshot: its settings no longer match the manifest.
    let settings = m
        .tables
        .iter()
        .find(|t| t.name == "system_settings")
        .unwrap();
    assert_ne!(
        checksum(&server, &db.name, "system_settings").await,
        settings.server_checksum.unwrap()
    );

    // Catalog and verify.
    let list = backup::list(out.path()).unwrap();
    assert_eq!(list.len(), 1);
    assert!(matches!(list[0].state, BackupState::Complete));
    assert_eq!(list[0].rows, m.rows());
    let verified = backup::verify(Path::new(&outcome.path)).unwrap();
    assert!(verified.ok, "{verified:#?}");

    // Restore elsewhere: every table equal to the snapshot, by rows and CHECKSUM TABLE.
    let admin = admin().await;
    let target = format!("{}_restored", db.name);
    let restored = backup::restore(
        &server,
        mindpal_core::access::Actor::OPERATOR,
        Path::new(&outcome.path),
        &RestoreOptions {
            into: target.clone(),
            replace: false,
            replace_live_database: false,
            jobs: 3,
            until: None,
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .expect("the restore completes");
    assert!(restored.ok, "{restored:#?}");
    assert_eq!(restored.tables.len(), m.tables.len());
    for (check, entry) in restored.tables.iter().zip(&m.tables) {
        assert_eq!(check.table, entry.name);
        assert_eq!(check.rows_found, entry.rows, "{}", entry.name);
        assert_eq!(
            check.checksum_found, entry.server_checksum,
            "{}",
            entry.name
        );
        // And by an independent reading of the restored table.
        assert_eq!(
            Some(checksum(&admin, &target, &entry.name).await),
            entry.server_checksum
        );
    }
    // Indexes and foreign keys are back.
    let (keys,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
    )
    .bind(&target)
    .fetch_one(&admin.pool)
    .await
    .unwrap();
    let (source_keys,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
    )
    .bind(&db.name)
    .fetch_one(&admin.pool)
    .await
    .unwrap();
    assert_eq!(keys, source_keys);

    // An existing, non-empty target is refused unless replacing was confirmed.
    let again = RestoreOptions {
        into: target.clone(),
        replace: false,
        replace_live_database: false,
        jobs: 2,
        until: None,
    };
    let refused = backup::restore(
        &server,
        mindpal_core::access::Actor::OPERATOR,
        Path::new(&outcome.path),
        &again,
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Refused, "{refused}");
    let replaced = backup::restore(
        &server,
        mindpal_core::access::Actor::OPERATOR,
        Path::new(&outcome.path),
        &RestoreOptions {
            replace: true,
            ..again
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(replaced.ok);

    // The rails: the live database, a system schema, a support or read-only actor.
    let live_rows = db.count("operation_logs").await;
    let restore_as = |actor, into: &str, replace_live_database| {
        let options = RestoreOptions {
            into: into.to_owned(),
            replace: true,
            replace_live_database,
            jobs: 2,
            until: None,
        };
        let server = &server;
        let path = outcome.path.clone();
        async move {
            backup::restore(
                server,
                actor,
                Path::new(&path),
                &options,
                &|_| {},
                &CancellationToken::new(),
            )
            .await
        }
    };
    let operator = mindpal_core::access::Actor::OPERATOR;
    let live = restore_as(operator, &db.name, false).await.unwrap_err();
    assert_eq!(live.kind(), ErrorKind::Refused, "{live}");
    assert!(live.to_string().contains("live database"), "{live}");
    for system in ["mysql", "SYS", "performance_schema", "information_schema"] {
        let err = restore_as(operator, system, true).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Refused, "{system}: {err}");
        assert!(err.to_string().contains("system schema"), "{err}");
    }
    for actor in [
        mindpal_core::access::Actor {
            role: mindpal_core::access::Role::Support,
            read_only: false,
        },
        mindpal_core::access::Actor {
            role: mindpal_core::access::Role::Operator,
            read_only: true,
        },
    ] {
        let err = restore_as(actor, &target, false).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    }
    assert_eq!(
        db.count("operation_logs").await,
        live_rows,
        "nothing refused touched the live database"
    );

    // A flipped bit is found by its checksum before anything is loaded.
    let victim = Path::new(&outcome.path).join(&messages.files[1].path);
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&victim, &bytes).unwrap();
    let verified = backup::verify(Path::new(&outcome.path)).unwrap();
    assert!(!verified.ok);
    let bad = verified
        .tables
        .iter()
        .find(|t| t.table == "conversation_messages")
        .unwrap();
    assert!(bad.problems[0].contains("damaged"), "{:?}", bad.problems);
    let damaged_target = format!("{}_damaged", db.name);
    let err = backup::restore(
        &server,
        mindpal_core::access::Actor::OPERATOR,
        Path::new(&outcome.path),
        &RestoreOptions {
            into: damaged_target.clone(),
            replace: false,
            replace_live_database: false,
            jobs: 2,
            until: None,
        },
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("nothing was restored"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Damaged, "{err}");
    assert!(!database_exists(&admin, &damaged_target).await);
    // Truncated: the same.
    std::fs::write(&victim, &bytes[..middle]).unwrap();
    assert!(!backup::verify(Path::new(&outcome.path)).unwrap().ok);

    // A manifest edited by hand is not trusted.
    let manifest_path = Path::new(&outcome.path).join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    std::fs::write(
        &manifest_path,
        text.replacen("\"rows\": ", "\"rows\": 1", 1),
    )
    .unwrap();
    let err = backup::verify(Path::new(&outcome.path)).unwrap_err();
    assert!(err.to_string().contains("was changed after"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Damaged, "{err}");
    assert!(matches!(
        backup::list(out.path()).unwrap()[0].state,
        BackupState::Damaged
    ));

    // A folder of another tool.
    let foreign = out.path().join("mydumper-export");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("metadata"), "Started dump at: 2026-12-01").unwrap();
    let err = backup::verify(&foreign).unwrap_err();
    assert!(err.to_string().contains("not a MindPal backup"), "{err}");
    assert!(!err.to_string().contains("interrupted"), "{err}");

    // Every backup and restore is in operation_logs.
    let actions = audit_actions(&server).await;
    assert_eq!(actions.first().map(String::as_str), Some("backup.run"));
    assert_eq!(
        actions.iter().filter(|a| *a == "backup.restore").count(),
        2,
        "{actions:?}"
    );

    drop_database(&admin, &target).await;
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_backup_leaves_nothing_that_looks_complete() {
    let db = seeded("backup_cancel", 8, None).await;
    let out = tempfile::tempdir().unwrap();
    let cancel = CancellationToken::new();
    let err = backup::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &options(out.path(), &db.name),
        &|p| {
            if p.phase == Phase::Dumping {
                cancel.cancel();
            }
        },
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    assert!(backup::list(out.path()).unwrap().is_empty());
    // Its statements were stopped on the server too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (running,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT `%' AND DB = ?",
    )
    .bind(&db.name)
    .fetch_one(&db.server.pool)
    .await
    .unwrap();
    assert_eq!(running, 0);
    assert_eq!(audit_actions(&db.server).await, vec!["backup.failed"]);

    // A file where the folder should be: a clear error naming it, nothing left behind.
    let locked = out.path().join("no-entry");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("blocker"), "a file where the folder should be").unwrap();
    let err = backup::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &options(&locked.join("blocker"), &db.name),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("blocker is a file, not a folder"),
        "{err}"
    );
    // A folder below a file cannot be created: the I/O error names it.
    let err = backup::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &options(&locked.join("blocker").join("below"), &db.name),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("blocker"), "{err}");
    // A database that does not exist.
    let err = backup::run(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &options(out.path(), "no_such_database_here"),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownDatabase);
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_primary_fails_the_backup_within_its_timeout() {
    let home = tempfile::tempdir().unwrap();
    let status = sandbox::up(
        &UpOptions {
            bastion: false,
            redis_cluster: false,
            secure: None,
            dir: home.path().join("sandbox"),
            base_port: Some(free_port_run(5)),
            seed_scale: Some(0.002),
            profile_store: None,
        },
        &|_| {},
    )
    .await
    .expect("the sandbox comes up");
    let primary = MysqlServer::connect(&status.primary_target(), TIMEOUT, 2)
        .await
        .unwrap();
    let out = home.path().join("backups");

    // A healthy primary first: the binlog position and GTID of the snapshot are recorded.
    let done = backup::run(
        &primary,
        mindpal_core::access::Actor::OPERATOR,
        &options(&out, "mindpal"),
        &|_| {},
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    let snap = &done.manifest.snapshot;
    assert!(
        snap.binlog_file.is_some() && snap.binlog_position.is_some(),
        "{snap:?}"
    );
    assert!(snap.gtid.is_some(), "{snap:?}");
    let pitr = backup::pitr_command(&done.manifest, Some("mindpal_copy")).unwrap();
    assert!(pitr.contains(&format!(
        "--start-position={}",
        snap.binlog_position.unwrap()
    )));
    assert!(
        pitr.contains("--rewrite-db='mindpal->mindpal_copy'"),
        "{pitr}"
    );

    let pid = status
        .components
        .iter()
        .find(|c| c.name == Component::Primary.name())
        .and_then(|c| c.pid)
        .unwrap();
    let frozen = AtomicBool::new(false);
    let started = Instant::now();
    let err = backup::run(
        &primary,
        mindpal_core::access::Actor::OPERATOR,
        &BackupOptions {
            idle_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(2),
            ..options(&out, "mindpal")
        },
        &|p| {
            if p.phase == Phase::Dumping && !frozen.swap(true, Ordering::Relaxed) {
                kill(Pid::from_raw(pid as i32), Signal::SIGSTOP).unwrap();
            }
        },
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    kill(Pid::from_raw(pid as i32), Signal::SIGCONT).unwrap();
    assert!(frozen.load(Ordering::Relaxed));
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(took < Duration::from_secs(15), "failed after {took:?}");
    let list = backup::list(&out).unwrap();
    assert_eq!(list.len(), 1, "only the first backup is there: {list:?}");
    assert!(matches!(list[0].state, BackupState::Complete));

    primary.pool.close().await;
    sandbox::down(&home.path().join("sandbox"), true)
        .await
        .unwrap();
}
