//! Warnings about a statement and its plan, each with why it matters and what fixes it: a
//! rewritten statement or the index DDL (shown, never run).

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    InTarget, JoinConstraint, JoinOperator, LimitClause, ObjectName, OrderByKind, OrderBySort,
    Query, SearchModifier, Select, SelectItem, SetExpr, SetOperator, SetQuantifier, Statement,
    TableFactor, Value, visit_expressions, visit_expressions_mut,
};

use super::catalog::{BIG_TABLE_ROWS, Catalog, strip_prefix_len};
use super::plan::{Access, NodeKind, Plan};

mod classics;
mod conversions;
mod count;
mod offset;
mod or_columns;
mod plan_rules;
mod sargable;
mod select_star;
mod wildcards;

use classics::classics;
use conversions::implicit_conversions;
use count::dependent_count;
use offset::deep_offset;
use or_columns::or_across_columns;
use plan_rules::plan_rules;
use sargable::hidden_indexes;
use select_star::select_star_wide;
use wildcards::leading_wildcards;

/// OFFSETs from here on read and throw away enough rows to matter.
pub const DEEP_OFFSET: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Rule {
    FullScan,
    /// A predicate computes something of an indexed column (or joins columns of different
    /// kinds), so the index cannot be used.
    HiddenIndex,
    LeadingWildcard,
    DeepOffset,
    FilesortOnBigResult,
    ImplicitConversion,
    OrAcrossColumns,
    SelectStarWide,
    JoinWithoutIndex,
    DependentSubquery,
    RandomOrder,
    NotInNullable,
    WholeTableCount,
    LongInList,
    AggregateOrder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Level {
    Bad,
    Warn,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    pub table: Option<String>,
    pub title: String,
    pub why: String,
    /// The statement rewritten to avoid the problem.
    pub rewrite: Option<String>,
    /// The index that fixes it, to be run by a person.
    pub ddl: Option<String>,
    /// The same index as data, for *Try it*.
    pub index: Option<SuggestedIndex>,
}

/// An index the lint suggests: a B-tree on these columns of this table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SuggestedIndex {
    pub table: String,
    pub columns: Vec<String>,
}

impl SuggestedIndex {
    pub fn ddl(&self) -> String {
        index_ddl(&self.table, &self.columns)
    }
}

fn suggest(table: &str, columns: &[String]) -> SuggestedIndex {
    SuggestedIndex {
        table: table.to_owned(),
        columns: columns.to_vec(),
    }
}

/// Everything the lint may look at; the statement and the catalog are absent for a plan
/// pasted from elsewhere.
pub struct LintInput<'a> {
    pub statement: Option<&'a Statement>,
    pub plan: Option<&'a Plan>,
    pub catalog: Option<&'a Catalog>,
}

pub fn lint(input: &LintInput<'_>) -> Vec<Finding> {
    let scope = input.statement.map(Scope::of).unwrap_or_default();
    let mut out = Vec::new();
    if let Some(stmt) = input.statement {
        hidden_indexes(stmt, &scope, input.catalog, &mut out);
        leading_wildcards(stmt, &scope, input.catalog, &mut out);
        deep_offset(stmt, &mut out);
        implicit_conversions(stmt, &scope, input.catalog, &mut out);
        or_across_columns(stmt, &scope, &mut out);
        select_star_wide(stmt, &scope, input.catalog, &mut out);
        dependent_count(stmt, &scope, input.catalog, &mut out);
        classics(stmt, &scope, input.catalog, &mut out);
    }
    if let Some(plan) = input.plan {
        plan_rules(plan, input.statement, &scope, input.catalog, &mut out);
    }
    out.sort_by_key(|f| (f.level != Level::Bad, f.rule));
    out
}

/// Tables of the statement by alias (and by name).
#[derive(Debug, Default)]
struct Scope {
    by_alias: BTreeMap<String, String>,
    /// Table names in FROM order, without duplicates.
    tables: Vec<String>,
}

impl Scope {
    fn of(stmt: &Statement) -> Scope {
        let mut scope = Scope::default();
        let _ = sqlparser::ast::visit_relations(stmt, |name: &ObjectName| {
            let table = last_part(name);
            if !scope.tables.contains(&table) {
                scope.tables.push(table.clone());
            }
            scope.by_alias.insert(table.to_ascii_lowercase(), table);
            ControlFlow::<()>::Continue(())
        });
        collect_aliases(stmt, &mut scope);
        scope
    }

    /// A scope of one table, as a plan's attached condition has.
    fn single(table: &str) -> Scope {
        let mut scope = Scope::default();
        scope.tables.push(table.to_owned());
        scope
            .by_alias
            .insert(table.to_ascii_lowercase(), table.to_owned());
        scope
    }

    /// The table and column an expression names, when it is a plain column.
    fn column(&self, expr: &Expr, catalog: Option<&Catalog>) -> Option<(String, String)> {
        match expr {
            Expr::Identifier(col) => {
                let table = if self.tables.len() == 1 {
                    self.tables[0].clone()
                } else {
                    let catalog = catalog?;
                    let mut owners = self.tables.iter().filter(|t| {
                        catalog
                            .table(t)
                            .and_then(|f| f.column(&col.value))
                            .is_some()
                    });
                    let first = owners.next()?.clone();
                    if owners.next().is_some() {
                        return None;
                    }
                    first
                };
                Some((table, col.value.clone()))
            }
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let qualifier = parts[parts.len() - 2].value.to_ascii_lowercase();
                let table = self.by_alias.get(&qualifier)?.clone();
                Some((table, parts[parts.len() - 1].value.clone()))
            }
            Expr::Nested(inner) => self.column(inner, catalog),
            _ => None,
        }
    }
}

fn collect_aliases(stmt: &Statement, scope: &mut Scope) {
    struct Aliases<'a>(&'a mut Scope);
    impl sqlparser::ast::Visitor for Aliases<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name,
                alias: Some(alias),
                ..
            } = factor
            {
                self.0
                    .by_alias
                    .insert(alias.name.value.to_ascii_lowercase(), last_part(name));
            }
            ControlFlow::Continue(())
        }
    }
    let _ = sqlparser::ast::Visit::visit(stmt, &mut Aliases(scope));
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn literal(expr: &Expr) -> Option<&Value> {
    match expr {
        Expr::Value(v) => Some(&v.value),
        Expr::Nested(inner) => literal(inner),
        _ => None,
    }
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match literal(expr)? {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s),
        _ => None,
    }
}

fn str_expr(s: impl Into<String>) -> Expr {
    Expr::value(Value::SingleQuotedString(s.into()))
}

fn and(left: Expr, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::And,
        right: Box::new(right),
    }
}

fn cmp(left: Expr, op: BinaryOperator, right: Expr) -> Expr {
    Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    }
}

/// The statement with every expression that prints like `target` replaced by `with(it)`: a
/// rewrite made on the tree, so text elsewhere (a literal that looks alike) stays as it was.
fn rewritten(stmt: &Statement, target: &Expr, with: impl Fn(&Expr) -> Expr) -> String {
    let wanted = target.to_string();
    let mut copy = stmt.clone();
    let _ = visit_expressions_mut(&mut copy, |e: &mut Expr| {
        if e.to_string() == wanted {
            *e = with(e);
        }
        ControlFlow::<()>::Continue(())
    });
    copy.to_string()
}

fn index_ddl(table: &str, columns: &[String]) -> String {
    let name = format!("idx_{}", columns.join("_"));
    let cols = columns
        .iter()
        .map(|c| format!("`{}`", c.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ALTER TABLE `{}` ADD INDEX `{}` ({cols});",
        table.replace('`', "``"),
        name.replace('`', "``")
    )
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

/// The same comparison with its sides swapped (`'a' < f(x)` is `f(x) > 'a'`).
fn flip(op: &BinaryOperator) -> Option<BinaryOperator> {
    Some(match op {
        BinaryOperator::Eq => BinaryOperator::Eq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        _ => return None,
    })
}

fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut v = conjuncts(left);
            v.extend(conjuncts(right));
            v
        }
        Expr::Nested(inner)
            if matches!(
                inner.as_ref(),
                Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                }
            ) =>
        {
            conjuncts(inner)
        }
        other => vec![other],
    }
}

fn disjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let mut v = disjuncts(left);
            v.extend(disjuncts(right));
            v
        }
        Expr::Nested(inner) => disjuncts(inner),
        other => vec![other],
    }
}

/// The single column a simple predicate tests, if it tests one.
fn predicate_column(expr: &Expr, scope: &Scope) -> Option<(String, String)> {
    match expr {
        Expr::BinaryOp { left, op, right } if is_comparison(op) => scope
            .column(left, None)
            .filter(|_| literal(right).is_some())
            .or_else(|| {
                scope
                    .column(right, None)
                    .filter(|_| literal(left).is_some())
            }),
        Expr::In { expr, .. } | Expr::Like { expr, .. } | Expr::Between { expr, .. } => {
            scope.column(expr, None)
        }
        Expr::Nested(inner) => predicate_column(inner, scope),
        _ => None,
    }
}

/// A row count with thousands separators: `300,000`.
pub fn fmt_rows(n: f64) -> String {
    let n = n.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    pub(super) use super::*;
    use crate::explain::catalog::{ColumnFacts, TableFacts};
    pub(super) use crate::explain::guard::{Mode, check};
    use crate::schema::IndexShape;

    pub(super) fn catalog() -> Catalog {
        let idx = |name: &str, unique: bool, cols: &[&str]| IndexShape {
            name: name.into(),
            unique,
            index_type: if name.starts_with("ft_") {
                "FULLTEXT".into()
            } else {
                "BTREE".into()
            },
            columns: cols.iter().map(|c| c.to_string()).collect(),
        };
        let col = |name: &str, t: &str| ColumnFacts {
            name: name.into(),
            data_type: t.into(),
            nullable: true,
            collation: matches!(t, "varchar" | "text").then(|| "utf8mb4_general_ci".into()),
        };
        Catalog {
            database: "mindpal".into(),
            tables: vec![
                TableFacts {
                    name: "conversations".into(),
                    rows: 300_000.0,
                    columns: vec![
                        col("id", "bigint"),
                        col("user_id", "bigint"),
                        col("title", "varchar"),
                        col("summary", "text"),
                        col("context", "json"),
                        col("created_at", "datetime"),
                        col("last_message_at", "datetime"),
                    ],
                    indexes: vec![
                        idx("PRIMARY", true, &["id"]),
                        idx("idx_created_at", false, &["created_at"]),
                        idx(
                            "idx_user_id_last_message_at",
                            false,
                            &["user_id", "last_message_at"],
                        ),
                    ],
                },
                TableFacts {
                    name: "users".into(),
                    rows: 100_000.0,
                    columns: vec![
                        col("id", "bigint"),
                        col("phone", "varchar"),
                        col("email", "varchar"),
                        col("nickname", "varchar"),
                        col("password_hash", "varchar"),
                        col("bio", "text"),
                    ],
                    indexes: vec![
                        idx("PRIMARY", true, &["id"]),
                        idx("uk_phone", true, &["phone"]),
                        idx("uk_email", true, &["email"]),
                    ],
                },
                TableFacts {
                    name: "conversation_messages".into(),
                    rows: 3_000_000.0,
                    columns: vec![
                        col("id", "bigint"),
                        col("conversation_id", "bigint"),
                        col("content", "text"),
                    ],
                    indexes: vec![
                        idx("PRIMARY", true, &["id"]),
                        idx("idx_conversation_id_id", false, &["conversation_id", "id"]),
                    ],
                },
                TableFacts {
                    name: "knowledge_base".into(),
                    rows: 40_000.0,
                    columns: vec![
                        col("id", "bigint"),
                        col("title", "varchar"),
                        col("content", "text"),
                    ],
                    indexes: vec![
                        idx("PRIMARY", true, &["id"]),
                        idx("ft_idx_title_content", false, &["title", "content"]),
                    ],
                },
            ],
        }
    }

    pub(super) fn findings(sql: &str) -> Vec<Finding> {
        let checked = check(sql, Mode::Explain).unwrap();
        let cat = catalog();
        lint(&LintInput {
            statement: Some(&checked.statement),
            plan: None,
            catalog: Some(&cat),
        })
    }

    pub(super) fn rule(found: &[Finding], rule: Rule) -> &Finding {
        found
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("expected {rule:?} in {found:#?}"))
    }

    #[test]
    fn leading_wildcards_or_across_columns_and_wide_stars() {
        let like = findings("SELECT id FROM knowledge_base WHERE title LIKE '%sleep%'");
        assert!(
            rule(&like, Rule::LeadingWildcard)
                .rewrite
                .as_deref()
                .unwrap()
                .contains("MATCH (title, content) AGAINST ('+sleep*' IN BOOLEAN MODE)")
        );
        let or = findings("SELECT id FROM users WHERE phone = '1' OR email = 'a@b'");
        assert_eq!(
            rule(&or, Rule::OrAcrossColumns).rewrite.as_deref(),
            Some(
                "SELECT id FROM users WHERE phone = '1' UNION SELECT id FROM users WHERE email = 'a@b'"
            )
        );
        assert!(
            findings("SELECT id FROM users WHERE phone = '1' OR phone = '2'")
                .iter()
                .all(|f| f.rule != Rule::OrAcrossColumns)
        );
        let secret = findings("SELECT * FROM users WHERE id = 1");
        let rewrite = rule(&secret, Rule::SelectStarWide).rewrite.clone().unwrap();
        assert_eq!(
            rewrite, "SELECT id, phone, email, nickname FROM users WHERE id = 1",
            "no password_hash"
        );
        let star = findings("SELECT * FROM conversations WHERE id = 1");
        let f = rule(&star, Rule::SelectStarWide);
        assert!(f.title.contains("summary, context"), "{}", f.title);
        assert_eq!(
            f.rewrite.as_deref(),
            Some(
                "SELECT id, user_id, title, created_at, last_message_at FROM conversations WHERE id = 1"
            )
        );
    }

    #[test]
    fn hostile_text_in_literals_stays_data_in_rewrites() {
        let found = findings(
            "SELECT id FROM users WHERE phone = 138 AND nickname = 'x''); DROP TABLE users; --'",
        );
        let rewrite = rule(&found, Rule::ImplicitConversion)
            .rewrite
            .clone()
            .unwrap();
        assert!(
            check(&rewrite, Mode::Explain).is_ok(),
            "the rewrite is one statement: {rewrite}"
        );
    }
}
