//! Keyset paging, shared by every list of the console (the directory, conversations, the
//! audit trail): a page's cursor, the WHERE clause built from fixed fragments and bound values,
//! the order with its tie-breaker, totals counted or estimated, and the masking of personal
//! data for those who may not read it.
//!
//! Every statement here is built from fixed fragments; what a user typed only ever travels
//! as a bound parameter.

pub mod cursor;
pub mod mask;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use sqlx::mysql::{MySql, MySqlArguments, MySqlRow};
use sqlx::query::QueryAs;

use crate::error::{Error, Result};
use crate::mysql::{Flavour, MysqlServer};
use cursor::KeyValue;

/// Rows per page when the caller does not say.
pub const DEFAULT_PAGE: u32 = 50;
/// The most rows one page may ask for.
pub const MAX_PAGE: u32 = 500;
/// Totals up to this many rows are counted exactly; above it they are estimated.
pub const EXACT_COUNT_CAP: i64 = 1_000;
/// How long the exact count may take before the estimate is shown instead.
const COUNT_TIME_LIMIT_MS: u64 = 300;

/// How many rows match: exact when counting was cheap, else the optimizer's estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Total {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: i64,
    pub exact: bool,
    /// Not exact, and the estimate was no help: there are more than `count` rows.
    pub more_than: bool,
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<String>,
    /// On the first page only (later pages keep the first page's figure), and not for
    /// searches whose filters cannot be estimated or counted cheaply.
    pub total: Option<Total>,
    /// In words, e.g. "phone, ascending".
    pub order: String,
    /// The server that answered (`host:port`): the primary, or a replica.
    pub answered_by: String,
    pub masked: bool,
    /// How the search was run, when it is worth saying (e.g. which text search was used).
    pub note: Option<String>,
}

/// A value bound to a `?` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Float(f64),
    Text(String),
    Time(NaiveDateTime),
}

impl From<&KeyValue> for Option<Bind> {
    fn from(v: &KeyValue) -> Self {
        match v {
            KeyValue::Null => None,
            KeyValue::Int(i) => Some(Bind::Int(*i)),
            KeyValue::Text(t) => Some(Bind::Text(t.clone())),
            KeyValue::Time(t) => Some(Bind::Time(*t)),
        }
    }
}

pub(crate) fn bind_all_as<'q, T>(
    mut q: QueryAs<'q, MySql, T, MySqlArguments>,
    binds: &'q [Bind],
) -> QueryAs<'q, MySql, T, MySqlArguments>
where
    T: for<'r> sqlx::FromRow<'r, MySqlRow>,
{
    for b in binds {
        q = match b {
            Bind::Int(i) => q.bind(*i),
            Bind::Float(f) => q.bind(*f),
            Bind::Text(t) => q.bind(t.as_str()),
            Bind::Time(t) => q.bind(*t),
        };
    }
    q
}

/// A WHERE clause under construction: fixed SQL fragments and their bound values.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    pub binds: Vec<Bind>,
}

impl Filter {
    pub fn push(&mut self, clause: impl Into<String>, binds: impl IntoIterator<Item = Bind>) {
        self.clauses.push(clause.into());
        self.binds.extend(binds);
    }

    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// `column LIKE 'text%'`, the text escaped so `%`, `_` and `!` are literal.
    pub fn starts_with(&mut self, column: &'static str, text: &str) {
        self.push(
            format!("{column} LIKE ? ESCAPE '!'"),
            [Bind::Text(like_prefix(text))],
        );
    }

    pub fn date_range(
        &mut self,
        column: &'static str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) {
        // A half-open range on the bare column, so its index serves it (never DATE(column)).
        if let Some(from) = from {
            self.push(
                format!("{column} >= ?"),
                [Bind::Time(from.and_hms_opt(0, 0, 0).expect("midnight"))],
            );
        }
        if let Some(to) = to {
            let next = to.succ_opt().unwrap_or(to);
            self.push(
                format!("{column} < ?"),
                [Bind::Time(next.and_hms_opt(0, 0, 0).expect("midnight"))],
            );
        }
    }
}

/// The LIKE pattern matching values that start with `text`, with `!` as the escape.
pub(crate) fn like_prefix(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The LIKE pattern matching values that contain `text`.
pub(crate) fn like_contains(text: &str) -> String {
    format!("%{}", like_prefix(text))
}

/// Keyset order: one column (possibly nullable) then `id` as the tie-breaker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    /// `None` orders by `id` alone.
    pub column: Option<&'static str>,
    pub nullable: bool,
    pub descending: bool,
    /// The column is UNIQUE and the rows paged have it set: it orders alone. (MariaDB does
    /// not append the primary key to a UNIQUE index for ordering, so `c, id` would filesort.)
    pub unique: bool,
}

impl Order {
    pub fn by_id(descending: bool) -> Order {
        Order {
            column: None,
            nullable: false,
            descending,
            unique: false,
        }
    }

    pub fn arity(&self) -> usize {
        if self.column.is_some() && !self.unique {
            2
        } else {
            1
        }
    }

    pub fn sql(&self, table_alias: &str) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        match self.column {
            Some(c) if self.unique => format!(" ORDER BY {table_alias}{c} {dir}"),
            Some(c) => format!(" ORDER BY {table_alias}{c} {dir}, {table_alias}id {dir}"),
            None => format!(" ORDER BY {table_alias}id {dir}"),
        }
    }

    /// The predicate selecting rows after `key` in this order. NULL sorts first ascending
    /// and last descending, as MySQL and MariaDB do. Each branch keeps a bare range on the
    /// column so the index still serves it.
    pub fn after(&self, alias: &str, key: &[KeyValue], filter: &mut Filter) -> Result<()> {
        let (cmp, id_cmp) = if self.descending {
            ("<", "<")
        } else {
            (">", ">")
        };
        let id_of = |v: &KeyValue| match v {
            KeyValue::Int(i) => Ok(*i),
            _ => Err(cursor::refused()),
        };
        match (self.column, key) {
            (Some(c), [value]) if self.unique => match Option::<Bind>::from(value) {
                Some(v) => filter.push(format!("{alias}{c} {cmp} ?"), [v]),
                None => return Err(cursor::refused()),
            },
            (None, [id]) => {
                filter.push(format!("{alias}id {id_cmp} ?"), [Bind::Int(id_of(id)?)]);
            }
            (Some(c), [value, id]) => {
                let id = id_of(id)?;
                let value: Option<Bind> = value.into();
                let clause = match (&value, self.descending) {
                    (Some(_), true) if self.nullable => format!(
                        "(({alias}{c} <= ? AND ({alias}{c} {cmp} ? OR {alias}id {id_cmp} ?)) OR {alias}{c} IS NULL)"
                    ),
                    (Some(_), _) => format!(
                        "({alias}{c} {cmp}= ? AND ({alias}{c} {cmp} ? OR {alias}id {id_cmp} ?))"
                    ),
                    (None, true) => format!("({alias}{c} IS NULL AND {alias}id < ?)"),
                    (None, false) => {
                        format!(
                            "(({alias}{c} IS NULL AND {alias}id > ?) OR {alias}{c} IS NOT NULL)"
                        )
                    }
                };
                match value {
                    Some(v) => filter.push(clause, [v.clone(), v, Bind::Int(id)]),
                    None => filter.push(clause, [Bind::Int(id)]),
                }
            }
            _ => return Err(cursor::refused()),
        }
        Ok(())
    }
}

/// A keyset page to run: the list's filters and order, the search it belongs to, and its
/// statement's fixed parts.
pub(crate) struct PageQuery<'a> {
    pub server: &'a MysqlServer,
    pub filter: Filter,
    pub order: Order,
    /// Fingerprint of the search, binding cursors to it.
    pub fingerprint: String,
    /// `FROM table alias`, for the total.
    pub from: &'a str,
    /// `SELECT … FROM …` up to where the WHERE clause goes.
    pub select: &'a str,
    /// The order's table alias (`d.`), or empty.
    pub alias: &'a str,
    pub limit: u32,
    /// Some filter is one the optimizer cannot estimate (a LIKE '%…%', a subquery): the page
    /// comes without a total rather than with a misleading one or a slow count.
    pub estimate_unreliable: bool,
    /// A deferred join: `select` then finds only the page's keys, and this statement, around
    /// `{page}`, reads their rows and joins what they show. Joins the page does not filter on
    /// are then made for its rows only, not for every candidate the server sorts.
    pub details: Option<&'a str>,
}

/// The rows of one page, the next page's cursor, and (on the first page) the total.
pub(crate) struct PageRows<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
    pub total: Option<Total>,
}

impl PageQuery<'_> {
    /// Counts (first page only), applies the cursor `after`, fetches `limit` rows and makes
    /// the next cursor from the last row's sort key (`key_of`).
    pub async fn run<T>(
        mut self,
        after: Option<&str>,
        key_of: impl Fn(&T) -> Vec<KeyValue>,
    ) -> Result<PageRows<T>>
    where
        T: for<'r> sqlx::FromRow<'r, MySqlRow> + Send + Unpin,
    {
        let total = match after {
            // Filters the optimizer cannot estimate are not counted either: counting them
            // means running them to the cap, many times the cost of the page itself.
            None if self.estimate_unreliable => None,
            None => Some(
                total(
                    self.server,
                    &format!("{}{}", self.from, self.filter.sql()),
                    &self.filter.binds,
                )
                .await?,
            ),
            Some(cursor) => {
                let key = cursor::decode(cursor, &self.fingerprint, self.order.arity())?;
                self.order.after(self.alias, &key, &mut self.filter)?;
                None
            }
        };
        let page = format!(
            "{}{}{} LIMIT {}",
            self.select,
            self.filter.sql(),
            self.order.sql(self.alias),
            self.limit + 1
        );
        let sql = match self.details {
            Some(details) => format!(
                "{}{}",
                details.replace("{page}", &page),
                self.order.sql(self.alias)
            ),
            None => page,
        };
        let mut rows: Vec<T> = fetch_page(self.server, &sql, &self.filter.binds).await?;
        let next = if rows.len() > self.limit as usize {
            rows.truncate(self.limit as usize);
            rows.last()
                .map(|last| cursor::encode(&self.fingerprint, key_of(last)))
        } else {
            None
        };
        Ok(PageRows { rows, next, total })
    }
}

/// Parses an id a person typed: a clear message for words, signs and overflow.
/// Refuses a range (of days, moments) whose end comes before its start.
pub(crate) fn ordered<T: PartialOrd + std::fmt::Display>(from: &T, to: &T) -> Result<()> {
    if to < from {
        return Err(Error::InvalidInput(format!(
            "the range ends ({to}) before it starts ({from})"
        )));
    }
    Ok(())
}

pub fn parse_id(raw: &str, what: &str) -> Result<i64> {
    let trimmed = raw.trim().trim_start_matches('#');
    match trimmed.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => {
            let shown: String = raw.chars().take(40).collect();
            let more = if raw.chars().count() > 40 { "…" } else { "" };
            Err(Error::InvalidInput(format!(
                "`{shown}{more}` is not a {what} id: ids are whole numbers from 1 to {}",
                i64::MAX
            )))
        }
    }
}

/// Runs the statement time limit the server understands around a SELECT.
pub(crate) fn time_limited(flavour: Flavour, select: &str, millis: u64) -> String {
    match flavour {
        Flavour::MariaDb => format!(
            "SET STATEMENT max_statement_time={:.3} FOR {select}",
            millis as f64 / 1000.0
        ),
        Flavour::MySql => select.replacen(
            "SELECT",
            &format!("SELECT /*+ MAX_EXECUTION_TIME({millis}) */"),
            1,
        ),
    }
}

/// How long one page may take. Filters the indexes cannot serve are checked row by row as
/// the index walks in order; when almost nothing matches, that walk is long, and the server
/// stops it here rather than holding a connection for minutes.
pub const PAGE_TIME_LIMIT_MS: u64 = 5_000;

/// Runs a page's SELECT (`limit + 1` rows) under [`PAGE_TIME_LIMIT_MS`].
pub(crate) async fn fetch_page<T>(
    server: &MysqlServer,
    select: &str,
    binds: &[Bind],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, MySqlRow> + Send + Unpin,
{
    let sql = time_limited(server.info.flavour, select, PAGE_TIME_LIMIT_MS);
    bind_all_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(&server.pool)
        .await
        .map_err(|e| server.err(e))
        .map_err(|e| {
            if let Error::StatementLimit { server, .. } = e {
                Error::StatementLimit {
                    server,
                    message: format!(
                        "this page took over {} s: these filters match so few rows that finding a page means walking most of the table; add search text or a date range",
                        PAGE_TIME_LIMIT_MS / 1000
                    ),
                }
            } else {
                e
            }
        })
}

/// Counts the rows of `FROM … WHERE …` exactly up to [`EXACT_COUNT_CAP`] within a short
/// time limit; beyond either, the optimizer's estimate from `EXPLAIN FORMAT=JSON`.
pub(crate) async fn total(server: &MysqlServer, from_where: &str, binds: &[Bind]) -> Result<Total> {
    let capped = format!(
        "SELECT COUNT(*) FROM (SELECT 1 {from_where} LIMIT {}) capped",
        EXACT_COUNT_CAP + 1
    );
    let sql = time_limited(server.info.flavour, &capped, COUNT_TIME_LIMIT_MS);
    let counted: Result<(i64,)> = bind_all_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e));
    // Whether the count reached the cap (else the time limit stopped it first).
    let capped = match counted {
        Ok((n,)) if n <= EXACT_COUNT_CAP => {
            return Ok(Total {
                count: n,
                exact: true,
                more_than: false,
            });
        }
        Ok(_) => true,
        Err(Error::StatementLimit { .. }) => false,
        Err(e) => return Err(e),
    };
    let explain = format!("EXPLAIN FORMAT=JSON SELECT 1 {from_where}");
    let (plan,): (String,) = bind_all_as(sqlx::query_as(sqlx::AssertSqlSafe(explain)), binds)
        .fetch_one(&server.pool)
        .await
        .map_err(|e| server.err(e))?;
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap_or_default();
    let estimate = estimated_rows(&plan).unwrap_or(0.0).round() as i64;
    // A count that reached the cap proves more rows than the cap, so an estimate below it
    // says nothing; a count stopped by the time limit proves nothing, so the estimate stands.
    Ok(if estimate > EXACT_COUNT_CAP || !capped {
        Total {
            count: estimate,
            exact: false,
            more_than: false,
        }
    } else {
        Total {
            count: EXACT_COUNT_CAP,
            exact: false,
            more_than: true,
        }
    })
}

/// Rows the optimizer expects a single-table plan to return: its rows times `filtered`.
/// Reads MariaDB (`rows`) and MySQL 8 (`rows_produced_per_join`) plans alike.
fn estimated_rows(plan: &serde_json::Value) -> Option<f64> {
    use serde_json::Value;
    match plan {
        Value::Object(map) => {
            if map.contains_key("table_name") {
                if let Some(produced) = map.get("rows_produced_per_join").and_then(number) {
                    return Some(produced);
                }
                let rows = map.get("rows").and_then(number)?;
                let filtered = map.get("filtered").and_then(number).unwrap_or(100.0);
                return Some(rows * filtered / 100.0);
            }
            map.values().find_map(estimated_rows)
        }
        Value::Array(items) => items.iter().find_map(estimated_rows),
        _ => None,
    }
}

fn number(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_metacharacters_are_literal() {
        assert_eq!(like_prefix("50%_off!"), "50!%!_off!!%");
        assert_eq!(like_contains("a"), "%a%");
        assert_eq!(like_prefix("'\\\""), "'\\\"%");
    }

    #[test]
    fn ids_that_are_not_ids_get_a_clear_message() {
        assert_eq!(parse_id(" 42 ", "user").unwrap(), 42);
        assert_eq!(parse_id("#7", "user").unwrap(), 7);
        for bad in ["abc", "-1", "0", "1.5", "99999999999999999999", ""] {
            let e = parse_id(bad, "user").unwrap_err();
            assert!(e.to_string().contains("is not a user id"), "{bad}: {e}");
        }
        let long = "9".repeat(10_000);
        assert!(parse_id(&long, "user").unwrap_err().to_string().len() < 200);
    }

    #[test]
    fn time_limits_use_each_servers_syntax() {
        assert_eq!(
            time_limited(Flavour::MariaDb, "SELECT 1", 300),
            "SET STATEMENT max_statement_time=0.300 FOR SELECT 1"
        );
        assert_eq!(
            time_limited(Flavour::MySql, "SELECT COUNT(*) FROM (SELECT 1) t", 5000),
            "SELECT /*+ MAX_EXECUTION_TIME(5000) */ COUNT(*) FROM (SELECT 1) t"
        );
    }

    #[test]
    fn estimates_read_both_plan_shapes() {
        let mariadb = serde_json::json!({"query_block": {"select_id": 1, "table": {
            "table_name": "users", "access_type": "range", "rows": 2000, "filtered": 50}}});
        assert_eq!(estimated_rows(&mariadb), Some(1000.0));
        let mysql = serde_json::json!({"query_block": {"select_id": 1, "table": {
            "table_name": "users", "access_type": "ALL", "rows_examined_per_scan": 99000,
            "rows_produced_per_join": 9900, "filtered": "10.00"}}});
        assert_eq!(estimated_rows(&mysql), Some(9900.0));
    }

    #[test]
    fn keyset_predicates_keep_a_bare_range() {
        let order = Order {
            column: Some("last_login_at"),
            nullable: true,
            descending: true,
            unique: false,
        };
        let t = NaiveDate::from_ymd_opt(2026, 11, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let mut f = Filter::default();
        order
            .after("", &[KeyValue::Time(t), KeyValue::Int(9)], &mut f)
            .unwrap();
        assert_eq!(
            f.sql(),
            " WHERE ((last_login_at <= ? AND (last_login_at < ? OR id < ?)) OR last_login_at IS NULL)"
        );
        assert_eq!(f.binds.len(), 3);
        let mut f = Filter::default();
        order
            .after("", &[KeyValue::Null, KeyValue::Int(9)], &mut f)
            .unwrap();
        assert_eq!(f.sql(), " WHERE (last_login_at IS NULL AND id < ?)");
        let mut f = Filter::default();
        assert!(order.after("", &[KeyValue::Int(9)], &mut f).is_err());
    }
}
