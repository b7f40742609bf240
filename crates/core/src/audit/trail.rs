//! The audit trail: `operation_logs` newest first, in keyset pages, filtered by operator,
//! action prefix, resource, client host and time. Support sees only the trail of reviews and
//! exports, with client hosts masked as elsewhere.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::access::{Actor, Permission};
use crate::error::{Error, Result};
use crate::keyset::cursor::{self, KeyValue};
use crate::keyset::{Bind, DEFAULT_PAGE, Filter, MAX_PAGE, Order, Page, PageQuery, PageRows, mask};
use crate::mysql::MysqlServer;

/// The actions a support profile may read in the trail: its own kind of work.
pub const SUPPORT_ACTIONS: [&str; 2] = ["conversation.review", "conversation.export"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditSearch {
    /// The operating-system account that made the change (exact).
    pub operator: Option<String>,
    /// `user.` finds `user.disable`, `user.enable`, `user.cache.invalidate` …
    pub action: Option<String>,
    /// `user`, `digital_human`, `conversation`, `backup`, `schema` …
    pub resource_type: Option<String>,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub resource_id: Option<i64>,
    /// The console's host as the server saw it (exact).
    pub client_host: Option<String>,
    /// First and last day, inclusive.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub from: Option<NaiveDate>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub to: Option<NaiveDate>,
    pub limit: u32,
}

/// One change the console (or the platform) recorded.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditRow {
    #[serde(with = "crate::wire::id")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub id: i64,
    /// `2026-12-03 14:32:05`, the server's time.
    pub created_at: Option<String>,
    /// Who, from the details the console writes (`None` for rows the platform wrote).
    pub operator: Option<String>,
    pub action: String,
    pub resource_type: String,
    #[serde(with = "crate::wire::opt_id")]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub resource_id: Option<i64>,
    pub client_host: Option<String>,
    pub user_agent: Option<String>,
    /// The details as recorded: `before` and `after` for changes of a row.
    #[sqlx(json(nullable))]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub details: Option<serde_json::Value>,
    /// `details.before` against `details.after`, field by field (empty for other rows), so
    /// every face shows the same diff.
    #[sqlx(skip)]
    pub changes: Vec<FieldChange>,
}

const COLUMNS: &str = "id, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS created_at, \
    JSON_UNQUOTE(JSON_EXTRACT(details, '$.operator')) AS operator, action, resource_type, \
    resource_id, ip_address AS client_host, user_agent, details";

fn trimmed(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// One page of the trail, newest first.
pub async fn find(
    server: &MysqlServer,
    actor: Actor,
    search: &AuditSearch,
    after: Option<&str>,
) -> Result<Page<AuditRow>> {
    let limit = match search.limit {
        0 => DEFAULT_PAGE,
        n => n.min(MAX_PAGE),
    };
    if let (Some(from), Some(to)) = (search.from, search.to) {
        crate::keyset::ordered(&from, &to)?;
    }
    let mut filter = Filter::default();
    if !actor.may(Permission::ReadFullAuditTrail) {
        filter.push(
            "action IN (?, ?)",
            SUPPORT_ACTIONS.map(|a| Bind::Text(a.to_owned())),
        );
    }
    if let Some(action) = trimmed(&search.action) {
        filter.starts_with("action", action);
    }
    if let Some(t) = trimmed(&search.resource_type) {
        filter.push("resource_type = ?", [Bind::Text(t.to_owned())]);
    }
    if let Some(id) = search.resource_id {
        filter.push("resource_id = ?", [Bind::Int(id)]);
    }
    if let Some(op) = trimmed(&search.operator) {
        filter.push(
            "JSON_UNQUOTE(JSON_EXTRACT(details, '$.operator')) = ?",
            [Bind::Text(op.to_owned())],
        );
    }
    if let Some(host) = trimmed(&search.client_host) {
        filter.push("ip_address = ?", [Bind::Text(host.to_owned())]);
    }
    filter.date_range("created_at", search.from, search.to);
    let PageRows {
        mut rows,
        next,
        total,
    } = PageQuery {
        server,
        filter,
        order: Order::by_id(true),
        fingerprint: cursor::fingerprint(&AuditSearch {
            limit: 0,
            ..search.clone()
        }),
        from: "FROM operation_logs",
        select: &format!("SELECT {COLUMNS} FROM operation_logs"),
        alias: "",
        limit,
        // The operator lives inside JSON: the optimizer cannot estimate it.
        estimate_unreliable: trimmed(&search.operator).is_some(),
        details: None,
    }
    .run(after, |last: &AuditRow| vec![KeyValue::Int(last.id)])
    .await?;
    let masked = actor.masked();
    for row in &mut rows {
        if masked {
            row.client_host = row.client_host.as_deref().map(mask::ip);
            if let Some(details) = row.details.as_mut() {
                mask::json_fields(details);
            }
        }
        row.changes = row.details.as_ref().map(diff).unwrap_or_default();
    }
    Ok(Page {
        rows,
        next,
        total,
        order: "newest first".into(),
        answered_by: server.info.address.clone(),
        masked,
        note: (!actor.may(Permission::ReadFullAuditTrail))
            .then(|| "support sees the trail of reviews and exports only".to_owned()),
    })
}

/// The CSV header of [`csv_line`].
pub const CSV_HEADER: &str =
    "id,created_at,operator,action,resource_type,resource_id,client_host,user_agent,details";

/// One row as CSV: fields quoted where they hold a comma, a quote or a line break.
pub fn csv_line(row: &AuditRow) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    [
        row.id.to_string(),
        row.created_at.clone().unwrap_or_default(),
        row.operator.clone().unwrap_or_default(),
        row.action.clone(),
        row.resource_type.clone(),
        row.resource_id.map(|i| i.to_string()).unwrap_or_default(),
        row.client_host.clone().unwrap_or_default(),
        row.user_agent.clone().unwrap_or_default(),
        row.details
            .as_ref()
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ]
    .iter()
    .map(|s| field(s))
    .collect::<Vec<_>>()
    .join(",")
}

/// Writes every row matching `search` (all pages, newest first) to `out` as CSV or JSON lines;
/// returns how many.
pub async fn export(
    server: &MysqlServer,
    actor: Actor,
    search: &AuditSearch,
    json: bool,
    out: &mut (dyn std::io::Write + Send),
) -> Result<u64> {
    let io = |e: std::io::Error| Error::io("writing the audit export", e);
    if !json {
        writeln!(out, "{CSV_HEADER}").map_err(io)?;
    }
    let search = AuditSearch {
        limit: MAX_PAGE,
        ..search.clone()
    };
    let mut after: Option<String> = None;
    let mut rows = 0u64;
    loop {
        let page = find(server, actor, &search, after.as_deref()).await?;
        for row in &page.rows {
            if json {
                serde_json::to_writer(&mut *out, row).map_err(|e| io(e.into()))?;
                writeln!(out).map_err(io)?;
            } else {
                writeln!(out, "{}", csv_line(row)).map_err(io)?;
            }
        }
        rows += page.rows.len() as u64;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    out.flush().map_err(io)?;
    Ok(rows)
}

/// What changed in a row's details: each field of `before` and `after`, side by side, the
/// changed ones marked.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FieldChange {
    pub field: String,
    /// Absent when the field is not on that side (a JSON `null` is a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub after: Option<serde_json::Value>,
    pub changed: bool,
}

/// The fields of `details.before` and `details.after`, in order, when the row has them.
pub fn diff(details: &serde_json::Value) -> Vec<FieldChange> {
    let (Some(before), Some(after)) = (
        details.get("before").and_then(|b| b.as_object()),
        details.get("after").and_then(|a| a.as_object()),
    ) else {
        return Vec::new();
    };
    let mut fields: Vec<&String> = before.keys().chain(after.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .map(|f| FieldChange {
            field: f.clone(),
            before: before.get(f).cloned(),
            after: after.get(f).cloned(),
            changed: before.get(f) != after.get(f),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disable_diffs_as_its_changed_fields() {
        let details = serde_json::json!({
            "before": {"status": 1, "deletedAt": null, "version": 3},
            "after": {"status": 0, "deletedAt": null, "version": 4},
            "operator": "li"
        });
        let changes = diff(&details);
        let changed: Vec<&str> = changes
            .iter()
            .filter(|c| c.changed)
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(changed, ["status", "version"]);
        assert_eq!(changes.len(), 3);
        assert!(diff(&serde_json::json!({"verdict": "ok"})).is_empty());
    }
}
