//! The one place the console writes down what it changed: `operation_logs`.

use serde::Serialize;
use serde_json::Value;

use crate::error::Result;
use crate::mysql::MysqlServer;

/// What the console did, to what.
#[derive(Debug, Clone, Serialize)]
pub struct Change<'a> {
    /// Dotted verb, e.g. `schema.migrate`, `seed.load`, `user.disable`.
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<i64>,
    pub details: Value,
}

/// Who made changes: the operating-system account running the console.
fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(|| {
            let uid = nix::unistd::geteuid();
            nix::unistd::User::from_uid(uid)
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Writes one row to `operation_logs`. Call it after every change the console makes.
pub async fn record(server: &MysqlServer, change: Change<'_>) -> Result<()> {
    let mut details = change.details;
    if let Value::Object(map) = &mut details {
        map.insert("operator".into(), Value::String(operator()));
    }
    sqlx::query(
        "INSERT INTO operation_logs (user_id, action, resource_type, resource_id, details, ip_address, user_agent) \
         VALUES (NULL, ?, ?, ?, ?, NULL, ?)",
    )
    .bind(change.action)
    .bind(change.resource_type)
    .bind(change.resource_id)
    .bind(details.to_string())
    .bind(concat!("mindpal-admin/", env!("CARGO_PKG_VERSION")))
    .execute(&server.pool)
    .await
    .map_err(|e| server.err(e))?;
    Ok(())
}
