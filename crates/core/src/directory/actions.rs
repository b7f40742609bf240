//! The changes an operator makes to users and digital humans. Each runs in one transaction
//! that checks the row's `version` (a concurrent change is reported, never overwritten) and
//! writes its `operation_logs` row; the cache is invalidated after the commit, as the
//! platform's cache-aside rule asks (write the database, then delete the key).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::cache;
use crate::access::Actor;
use crate::access::Permission;
use crate::audit::{self, Change};
use crate::error::{Error, ErrorSummary, Result};
use crate::mysql::MysqlServer;
use crate::redis::RedisServer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum UserAction {
    Disable,
    Enable,
    Delete,
    Restore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum DigitalHumanAction {
    Delete,
    Restore,
}

/// What an action did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ActionOutcome {
    /// The `operation_logs` action, e.g. `user.disable`.
    pub action: String,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub resource_id: i64,
    /// The row's version after the change.
    pub version: i32,
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub audit_id: i64,
    /// Redis keys deleted after the commit.
    pub cache_keys_deleted: Vec<String>,
    /// The change is committed but the cache could not be invalidated.
    pub cache_error: Option<ErrorSummary>,
}

#[derive(sqlx::FromRow)]
struct UserState {
    status: Option<i8>,
    deleted_at: Option<chrono::NaiveDateTime>,
    version: i32,
}

fn conflict(what: &str, id: i64, now: i32, had: i32) -> Error {
    Error::Conflict(format!(
        "{what} {id} was changed by someone else since you loaded it (version {now}, you had {had}); nothing was written — reload and decide again"
    ))
}

/// Runs a `… WHERE id = ? AND version = ?` update of one row inside `tx`. The row was read
/// `FOR UPDATE` at `expected_version` just before, so anything but one row changed is a
/// concurrent change after all, reported as such.
async fn update_versioned(
    server: &MysqlServer,
    tx: &mut sqlx::MySqlConnection,
    sql: &'static str,
    what: &str,
    id: i64,
    expected_version: i32,
) -> Result<()> {
    let done = sqlx::query(sql)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(|e| server.err(e))?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "{what} {id} was changed by someone else while it was being updated; nothing was written — reload and decide again"
        )))
    }
}

async fn invalidate(
    redis: Option<&Result<RedisServer>>,
    user_id: i64,
) -> (Vec<String>, Option<ErrorSummary>) {
    match redis {
        None => (Vec::new(), None),
        Some(Err(e)) => (Vec::new(), Some(e.summary())),
        Some(Ok(r)) => match cache::invalidate_user(r, user_id).await {
            Ok(keys) => (keys, None),
            Err(e) => (Vec::new(), Some(e.summary())),
        },
    }
}

/// Disables, enables, soft-deletes or restores user `id`, if its version is still
/// `expected_version`.
pub async fn user(
    server: &MysqlServer,
    redis: Option<&Result<RedisServer>>,
    actor: Actor,
    id: i64,
    expected_version: i32,
    action: UserAction,
) -> Result<ActionOutcome> {
    actor.require(Permission::DirectoryChange)?;
    let err = |e| server.err(e);
    let mut tx = server.pool.begin().await.map_err(err)?;
    let before: Option<UserState> =
        sqlx::query_as("SELECT status, deleted_at, version FROM users WHERE id = ? FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(err)?;
    let Some(before) = before else {
        return Err(Error::NotFound(format!("no user with id {id}")));
    };
    if before.version != expected_version {
        return Err(conflict("user", id, before.version, expected_version));
    }
    let (name, sql, already) = match action {
        UserAction::Disable => (
            "user.disable",
            "UPDATE users SET status = 2, version = version + 1 WHERE id = ? AND version = ?",
            before.status == Some(2),
        ),
        UserAction::Enable => (
            "user.enable",
            "UPDATE users SET status = 1, version = version + 1 WHERE id = ? AND version = ?",
            before.status == Some(1),
        ),
        UserAction::Delete => (
            "user.delete",
            "UPDATE users SET deleted_at = NOW(), version = version + 1 WHERE id = ? AND version = ?",
            before.deleted_at.is_some(),
        ),
        UserAction::Restore => (
            "user.restore",
            "UPDATE users SET deleted_at = NULL, version = version + 1 WHERE id = ? AND version = ?",
            before.deleted_at.is_none(),
        ),
    };
    if already {
        let state = match action {
            UserAction::Disable => "disabled",
            UserAction::Enable => "enabled",
            UserAction::Delete => "deleted",
            UserAction::Restore => "not deleted",
        };
        return Err(Error::Conflict(format!(
            "user {id} is already {state}; nothing to do"
        )));
    }
    update_versioned(server, &mut tx, sql, "user", id, expected_version).await?;
    let after: UserState =
        sqlx::query_as("SELECT status, deleted_at, version FROM users WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
    let state = |s: &UserState| json!({"status": s.status, "deletedAt": s.deleted_at, "version": s.version});
    let audit_id = audit::record_in(
        &mut tx,
        Change {
            action: name,
            resource_type: "user",
            resource_id: Some(id),
            details: json!({"before": state(&before), "after": state(&after)}),
        },
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    let (cache_keys_deleted, cache_error) = invalidate(redis, id).await;
    Ok(ActionOutcome {
        action: name.into(),
        resource_id: id,
        version: after.version,
        audit_id,
        cache_keys_deleted,
        cache_error,
    })
}

#[derive(sqlx::FromRow)]
struct DigitalHumanState {
    user_id: i64,
    deleted_at: Option<chrono::NaiveDateTime>,
    version: i32,
}

/// Soft-deletes or restores digital human `id`, if its version is still `expected_version`.
pub async fn digital_human(
    server: &MysqlServer,
    actor: Actor,
    id: i64,
    expected_version: i32,
    action: DigitalHumanAction,
) -> Result<ActionOutcome> {
    actor.require(Permission::DirectoryChange)?;
    let err = |e| server.err(e);
    let mut tx = server.pool.begin().await.map_err(err)?;
    let before: Option<DigitalHumanState> = sqlx::query_as(
        "SELECT user_id, deleted_at, version FROM digital_humans WHERE id = ? FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(err)?;
    let Some(before) = before else {
        return Err(Error::NotFound(format!("no digital human with id {id}")));
    };
    if before.version != expected_version {
        return Err(conflict(
            "digital human",
            id,
            before.version,
            expected_version,
        ));
    }
    let (name, sql) = match action {
        DigitalHumanAction::Delete if before.deleted_at.is_none() => (
            "digital_human.delete",
            "UPDATE digital_humans SET deleted_at = NOW(), version = version + 1 WHERE id = ? AND version = ?",
        ),
        DigitalHumanAction::Restore if before.deleted_at.is_some() => (
            "digital_human.restore",
            "UPDATE digital_humans SET deleted_at = NULL, version = version + 1 WHERE id = ? AND version = ?",
        ),
        DigitalHumanAction::Delete => {
            return Err(Error::Conflict(format!(
                "digital human {id} is already deleted; nothing to do"
            )));
        }
        DigitalHumanAction::Restore => {
            return Err(Error::Conflict(format!(
                "digital human {id} is not deleted; nothing to do"
            )));
        }
    };
    update_versioned(server, &mut tx, sql, "digital human", id, expected_version).await?;
    let after: DigitalHumanState =
        sqlx::query_as("SELECT user_id, deleted_at, version FROM digital_humans WHERE id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
    let state = |s: &DigitalHumanState| json!({"deletedAt": s.deleted_at, "version": s.version});
    let audit_id = audit::record_in(
        &mut tx,
        Change {
            action: name,
            resource_type: "digital_human",
            resource_id: Some(id),
            details: json!({"owner": before.user_id, "before": state(&before), "after": state(&after)}),
        },
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)?;
    Ok(ActionOutcome {
        action: name.into(),
        resource_id: id,
        version: after.version,
        audit_id,
        cache_keys_deleted: Vec::new(),
        cache_error: None,
    })
}

/// Deletes the user's cache entries (`user:{id}`, `dashboard:stats:{id}`) and records it.
pub async fn invalidate_user_cache(
    server: &MysqlServer,
    redis: &RedisServer,
    actor: Actor,
    id: i64,
) -> Result<ActionOutcome> {
    actor.require(Permission::DirectoryChange)?;
    let err = |e| server.err(e);
    let exists: Option<(i32,)> = sqlx::query_as("SELECT version FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(&server.pool)
        .await
        .map_err(err)?;
    let Some((version,)) = exists else {
        return Err(Error::NotFound(format!("no user with id {id}")));
    };
    let deleted = cache::invalidate_user(redis, id).await?;
    let mut conn = server.pool.acquire().await.map_err(err)?;
    let audit_id = audit::record_in(
        &mut conn,
        Change {
            action: "user.cache.invalidate",
            resource_type: "user",
            resource_id: Some(id),
            details: json!({"redis": redis.info.address, "deleted": deleted}),
        },
    )
    .await
    .map_err(err)?;
    Ok(ActionOutcome {
        action: "user.cache.invalidate".into(),
        resource_id: id,
        version,
        audit_id,
        cache_keys_deleted: deleted,
        cache_error: None,
    })
}
