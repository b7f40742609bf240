//! The MindPal schema: the migrations in `schema/`, applying them, and the drift between them
//! and a live database.

mod diff;

pub(crate) use diff::table_filter;
pub use diff::{
    ColumnShape, IndexShape, SchemaDiff, TableDiff, TableShape, diff_live, introspect,
    introspect_tables,
};

use serde::Serialize;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::access::{Actor, Permission};
use crate::audit::{self, Change};
use crate::error::{Error, Result};
use crate::mysql::MysqlServer;

/// The migrations of `schema/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../schema");

/// The nine tables of the platform's design plus the console's own review tables.
pub const MINDPAL_TABLES: [&str; 13] = [
    "users",
    "digital_humans",
    "user_preferences",
    "knowledge_base",
    "conversations",
    "conversation_messages",
    "emotion_logs",
    "system_settings",
    "operation_logs",
    "conversation_reviews",
    "review_claims",
    "review_queues",
    "review_queue_items",
];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MigrationState {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

/// Which embedded migrations the database has applied.
pub async fn status(server: &MysqlServer) -> Result<Vec<MigrationState>> {
    let database = current_database(server).await?;
    let has_table: Option<(String,)> = sqlx::query_as(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = '_sqlx_migrations'",
    )
    .bind(&database)
    .fetch_optional(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    let applied = applied_versions(server, has_table.is_some()).await?;
    Ok(MIGRATOR
        .iter()
        .map(|m| MigrationState {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.contains(&m.version),
        })
        .collect())
}

/// The versions of the migrations the database records as applied; none without the
/// migrations table (`has_table`, which the caller has already looked up).
pub async fn applied_versions(server: &MysqlServer, has_table: bool) -> Result<Vec<i64>> {
    if !has_table {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&server.pool)
            .await
            .map_err(|e| server.err(e))?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

/// Applies the pending migrations and records that in `operation_logs`. Returns the versions
/// it applied (empty when the database was up to date).
pub async fn migrate(server: &MysqlServer, actor: Actor) -> Result<Vec<i64>> {
    migrate_with_progress(server, actor, &|_| {}, &CancellationToken::new()).await
}

/// The migrations `actor` would apply now, refused before anything else when it may not.
pub async fn pending(server: &MysqlServer, actor: Actor) -> Result<Vec<MigrationState>> {
    actor.require(Permission::Migrate)?;
    Ok(status(server)
        .await?
        .into_iter()
        .filter(|m| !m.applied)
        .collect())
}

/// [`migrate`], one migration at a time: `on_applied` hears of each, and `cancel` stops
/// before the next one (a migration already running completes).
pub async fn migrate_with_progress(
    server: &MysqlServer,
    actor: Actor,
    on_applied: &(dyn Fn(&MigrationState) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<i64>> {
    let pending = pending(server, actor).await?;
    let mut applied = Vec::new();
    let mut outcome = Ok(());
    for migration in &pending {
        if cancel.is_cancelled() {
            outcome = Err(Error::Cancelled);
            break;
        }
        if let Err(e) = MIGRATOR.run_to(migration.version, &server.pool).await {
            outcome = Err(match e {
                sqlx::migrate::MigrateError::Execute(inner) => server.err(inner),
                other => Error::Sql {
                    server: server.info.address.clone(),
                    code: 0,
                    message: other.to_string(),
                },
            });
            break;
        }
        applied.push(migration.version);
        on_applied(&MigrationState {
            applied: true,
            ..migration.clone()
        });
    }
    // What was applied is recorded even when a later step failed or was cancelled.
    if !applied.is_empty() {
        audit::record(
            server,
            Change {
                action: "schema.migrate",
                resource_type: "schema",
                resource_id: None,
                details: serde_json::json!({ "applied": applied }),
            },
        )
        .await?;
    }
    outcome.map(|()| applied)
}

/// The default database of the connection, or a clear error when there is none.
pub async fn current_database(server: &MysqlServer) -> Result<String> {
    let (db,): (Option<String>,) = sqlx::query_as("SELECT DATABASE()")
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    db.ok_or_else(|| {
        Error::InvalidInput(
            "no database selected: put one in the URL (mysql://user@host/mindpal) or the profile"
                .into(),
        )
    })
}
