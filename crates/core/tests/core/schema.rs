use mindpal_core::schema::{self, MINDPAL_TABLES};

use crate::support::{SOURCE_DESIGN, TestDb};

#[tokio::test]
async fn migrate_creates_every_table_and_is_recorded_once() {
    let db = TestDb::new("migrate").await;
    let applied = schema::migrate(&db.server, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    assert_eq!(applied, vec![1, 2, 3, 4, 5]);
    for table in MINDPAL_TABLES {
        assert_eq!(
            db.count(table).await,
            i64::from(table == "operation_logs"),
            "{table}"
        );
    }
    assert!(
        schema::status(&db.server)
            .await
            .unwrap()
            .iter()
            .all(|m| m.applied)
    );
    // A second run has nothing to do and writes no second audit row.
    assert!(
        schema::migrate(&db.server, mindpal_core::access::Actor::OPERATOR)
            .await
            .unwrap()
            .is_empty()
    );
    let (action,): (String,) = sqlx::query_as("SELECT action FROM operation_logs")
        .fetch_one(&db.server.pool)
        .await
        .unwrap();
    assert_eq!(action, "schema.migrate");
    db.drop().await;
}

#[tokio::test]
async fn a_migrated_database_has_no_drift() {
    let db = TestDb::new("nodrift").await;
    schema::migrate(&db.server, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    let diff = schema::diff_live(&db.server).await.unwrap();
    assert!(diff.in_sync, "{diff:#?}");
    db.drop().await;
}

#[tokio::test]
async fn global_settings_cannot_be_duplicated() {
    let db = TestDb::new("settings").await;
    schema::migrate(&db.server, mindpal_core::access::Actor::OPERATOR)
        .await
        .unwrap();
    let insert = "INSERT INTO system_settings (user_id, setting_key, setting_value) VALUES (NULL, 'maintenance', 'off')";
    sqlx::query(insert).execute(&db.server.pool).await.unwrap();
    let second = sqlx::query(insert).execute(&db.server.pool).await;
    assert!(
        second.is_err(),
        "a second global `maintenance` setting must be refused"
    );
    db.drop().await;
}

#[tokio::test]
async fn the_source_design_shows_its_real_differences() {
    let db = TestDb::new("sourcediff").await;
    db.load(SOURCE_DESIGN).await;
    let diff = schema::diff_live(&db.server).await.unwrap();
    assert!(!diff.in_sync);
    let find = |table: &str, name: &str| {
        diff.tables
            .iter()
            .find(|t| t.table == table)
            .and_then(|t| t.differences.iter().find(|d| d.name == name))
            .unwrap_or_else(|| panic!("{table}.{name} should differ: {diff:#?}"))
            .clone()
    };
    let phone = find("users", "idx_phone");
    assert!(
        phone
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("redundant"),
        "idx_phone duplicates the unique key on phone: {phone:?}"
    );
    assert!(
        find("users", "version").expected.is_some(),
        "the version column is missing"
    );
    assert!(find("system_settings", "user_scope").actual.is_none());
    assert!(
        find("conversations", "idx_user_id_last_message_at")
            .actual
            .is_none()
    );
    assert!(
        find("conversation_reviews", "conversation_reviews")
            .expected
            .is_some(),
        "the review table is missing"
    );
    db.drop().await;
}

#[tokio::test]
async fn migrations_report_each_step_and_stop_when_cancelled() {
    let db = TestDb::new("migsteps").await;
    let cancelled = mindpal_core::CancellationToken::new();
    cancelled.cancel();
    let err = schema::migrate_with_progress(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &|_| {},
        &cancelled,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), mindpal_core::ErrorKind::Cancelled);
    assert!(
        schema::status(&db.server)
            .await
            .unwrap()
            .iter()
            .all(|m| !m.applied),
        "nothing ran"
    );

    let steps = std::sync::Mutex::new(Vec::new());
    let applied = schema::migrate_with_progress(
        &db.server,
        mindpal_core::access::Actor::OPERATOR,
        &|m| steps.lock().unwrap().push((m.version, m.applied)),
        &mindpal_core::CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(applied, vec![1, 2, 3, 4, 5]);
    assert_eq!(
        *steps.lock().unwrap(),
        vec![(1, true), (2, true), (3, true), (4, true), (5, true)]
    );
    db.drop().await;
}
