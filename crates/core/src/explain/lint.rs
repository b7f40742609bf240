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

use super::catalog::{BIG_TABLE_ROWS, Catalog};
use super::plan::{Access, NodeKind, Plan};

/// OFFSETs from here on read and throw away enough rows to matter.
pub const DEEP_OFFSET: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Rule {
    FullScan,
    FunctionOnIndexedColumn,
    LeadingWildcard,
    DeepOffset,
    FilesortOnBigResult,
    ImplicitConversion,
    OrAcrossColumns,
    SelectStarWide,
    JoinWithoutIndex,
    DependentSubquery,
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
        functions_on_columns(stmt, &scope, input.catalog, &mut out);
        leading_wildcards(stmt, &scope, input.catalog, &mut out);
        deep_offset(stmt, &mut out);
        implicit_conversions(stmt, &scope, input.catalog, &mut out);
        or_across_columns(stmt, &scope, &mut out);
        select_star_wide(stmt, &scope, input.catalog, &mut out);
        dependent_count(stmt, &scope, input.catalog, &mut out);
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

/// The one plain argument of `f(x)`, with the function's lower-case name.
fn single_arg_function(expr: &Expr) -> Option<(String, &Expr)> {
    let Expr::Function(f) = expr else { return None };
    let name = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] => Some((name, arg)),
        _ => None,
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

/// `DATE(col) = '2025-01-11'` and its kin: the function hides the index.
fn functions_on_columns(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let mut seen = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        let (func_side, op, other) = match expr {
            Expr::BinaryOp { left, op, right } if is_comparison(op) => {
                if single_arg_function(left).is_some() {
                    (left.as_ref(), Some(op.clone()), Some(right.as_ref()))
                } else if single_arg_function(right).is_some() {
                    (right.as_ref(), flip(op), Some(left.as_ref()))
                } else {
                    return ControlFlow::<()>::Continue(());
                }
            }
            Expr::Between { expr: inner, .. } if single_arg_function(inner).is_some() => {
                (inner.as_ref(), None, None)
            }
            _ => return ControlFlow::Continue(()),
        };
        let Some((name, arg)) = single_arg_function(func_side) else {
            return ControlFlow::Continue(());
        };
        let Some((table, column)) = scope.column(arg, catalog) else {
            return ControlFlow::Continue(());
        };
        if other.is_some_and(|o| scope.column(o, catalog).is_some()) {
            return ControlFlow::Continue(());
        }
        let indexed = catalog
            .and_then(|c| c.table(&table))
            .map(|t| t.is_indexed(&column));
        if indexed == Some(false) || seen.contains(&expr.to_string()) {
            return ControlFlow::Continue(());
        }
        seen.push(expr.to_string());
        let replacement = range_for(&name, arg, expr, op.as_ref());
        let rewrite = replacement.map(|new| rewritten(stmt, expr, |_| new.clone()));
        out.push(Finding {
            rule: Rule::FunctionOnIndexedColumn,
            level: Level::Bad,
            table: Some(table.clone()),
            title: format!("{}({column}) hides the index on {table}.{column}", name.to_uppercase()),
            why: format!(
                "the server must compute {}() for every row before comparing, so no index on `{column}` can be used: the table is read in full",
                name.to_uppercase()
            ),
            ddl: None,
            rewrite,
        });
        ControlFlow::Continue(())
    });
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

/// A range over the bare column equal to `func(col) op literal`, for the functions whose
/// inverse is a half-open interval of the column: DATE and YEAR.
fn range_for(func: &str, column: &Expr, whole: &Expr, op: Option<&BinaryOperator>) -> Option<Expr> {
    let day_start = |d: NaiveDate| str_expr(format!("{} 00:00:00", d.format("%Y-%m-%d")));
    let parse_day = |e: &Expr| {
        string_literal(e).and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
    };
    let parse_year = |e: &Expr| match literal(e)? {
        Value::Number(n, _) => n.parse::<i32>().ok(),
        Value::SingleQuotedString(s) => s.parse::<i32>().ok(),
        _ => None,
    };
    // The interval [from, to) of days the literal stands for.
    let interval = |lit: &Expr| -> Option<(NaiveDate, NaiveDate)> {
        match func {
            "date" => parse_day(lit).map(|d| (d, d + Duration::days(1))),
            "year" => {
                let y = parse_year(lit)?;
                Some((
                    NaiveDate::from_ymd_opt(y, 1, 1)?,
                    NaiveDate::from_ymd_opt(y + 1, 1, 1)?,
                ))
            }
            _ => None,
        }
    };
    let col = || column.clone();
    match whole {
        Expr::Between {
            low,
            high,
            negated: false,
            ..
        } => {
            let (from, _) = interval(low)?;
            let (_, to) = interval(high)?;
            Some(and(
                cmp(col(), BinaryOperator::GtEq, day_start(from)),
                cmp(col(), BinaryOperator::Lt, day_start(to)),
            ))
        }
        Expr::BinaryOp { left, right, .. } => {
            let lit = if single_arg_function(left).is_some() {
                right
            } else {
                left
            };
            let (from, to) = interval(lit)?;
            Some(match op? {
                BinaryOperator::Eq => and(
                    cmp(col(), BinaryOperator::GtEq, day_start(from)),
                    cmp(col(), BinaryOperator::Lt, day_start(to)),
                ),
                BinaryOperator::GtEq => cmp(col(), BinaryOperator::GtEq, day_start(from)),
                BinaryOperator::Gt => cmp(col(), BinaryOperator::GtEq, day_start(to)),
                BinaryOperator::Lt => cmp(col(), BinaryOperator::Lt, day_start(from)),
                BinaryOperator::LtEq => cmp(col(), BinaryOperator::Lt, day_start(to)),
                _ => return None,
            })
        }
        _ => None,
    }
}

fn leading_wildcards(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Expr::Like {
            expr: target,
            pattern,
            negated: false,
            ..
        } = expr
            && let Some(p) = string_literal(pattern)
            && (p.starts_with('%') || p.starts_with('_'))
            && let Some((table, column)) = scope.column(target, catalog)
        {
            let word = p.trim_matches(|c| c == '%' || c == '_').to_owned();
            let fulltext = catalog
                .and_then(|c| c.table(&table))
                .and_then(|t| t.fulltext_over(&column).cloned());
            let (rewrite, ddl) = match &fulltext {
                Some(ft) if !word.is_empty() && word.is_ascii() => {
                    let against = Expr::MatchAgainst {
                        columns: ft
                            .columns
                            .iter()
                            .map(|c| ObjectName::from(vec![Ident::new(c.clone())]))
                            .collect(),
                        match_value: Value::SingleQuotedString(format!("+{word}*")).into(),
                        opt_search_modifier: Some(SearchModifier::InBooleanMode),
                    };
                    (Some(rewritten(stmt, expr, |_| against.clone())), None)
                }
                Some(_) => (None, None),
                None => (
                    None,
                    Some(format!(
                        "ALTER TABLE `{table}` ADD FULLTEXT INDEX `ft_{column}` (`{column}`) WITH PARSER ngram;  -- MySQL; MariaDB has no ngram parser: search a prefix instead"
                    )),
                ),
            };
            out.push(Finding {
                rule: Rule::LeadingWildcard,
                level: Level::Warn,
                table: Some(table.clone()),
                title: format!("LIKE '{p}' on {table}.{column} starts with a wildcard"),
                why: "a B-tree index is ordered from the first character; a pattern that starts with % or _ can only be checked row by row".into(),
                rewrite,
                ddl,
            });
        }
        ControlFlow::<()>::Continue(())
    });
}

fn order_columns(query: &Query) -> Option<Vec<(Expr, bool)>> {
    let order = query.order_by.as_ref()?;
    let OrderByKind::Expressions(exprs) = &order.kind else {
        return None;
    };
    exprs
        .iter()
        .map(|e| match (&e.expr, &e.options.sort) {
            (x @ (Expr::Identifier(_) | Expr::CompoundIdentifier(_)), sort) => {
                Some((x.clone(), matches!(sort, Some(OrderBySort::Desc))))
            }
            _ => None,
        })
        .collect()
}

fn offset_of(query: &Query) -> Option<u64> {
    let offset = match query.limit_clause.as_ref()? {
        LimitClause::LimitOffset {
            offset: Some(o), ..
        } => &o.value,
        LimitClause::OffsetCommaLimit { offset, .. } => offset,
        _ => return None,
    };
    match literal(offset)? {
        Value::Number(n, _) => n.parse().ok(),
        _ => None,
    }
}

/// `LIMIT 20 OFFSET 10000` → `WHERE … AND id < :last_id ORDER BY id DESC LIMIT 20`.
fn deep_offset(stmt: &Statement, out: &mut Vec<Finding>) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let Some(offset) = offset_of(query).filter(|o| *o >= DEEP_OFFSET) else {
        return;
    };
    let rewrite = keyset_rewrite(query);
    out.push(Finding {
        rule: Rule::DeepOffset,
        level: if offset >= 10 * DEEP_OFFSET { Level::Bad } else { Level::Warn },
        table: None,
        title: format!("OFFSET {offset} reads {offset} rows only to throw them away"),
        why: "every page deeper costs more: the server walks the index from the start each time. Keyset pagination seeks to the last row seen instead and costs the same on every page".into(),
        rewrite,
        ddl: None,
    });
}

fn keyset_rewrite(query: &Query) -> Option<String> {
    let mut q = query.clone();
    let SetExpr::Select(select) = q.body.as_mut() else {
        return None;
    };
    let order =
        order_columns(query).unwrap_or_else(|| vec![(Expr::Identifier(Ident::new("id")), false)]);
    let desc = order[0].1;
    if order.iter().any(|(_, d)| *d != desc) {
        return None;
    }
    let placeholder = |e: &Expr| {
        let name = match e {
            Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.clone()).unwrap_or_default(),
            Expr::Identifier(i) => i.value.clone(),
            _ => "value".into(),
        };
        Expr::value(Value::Placeholder(format!(":last_{name}")))
    };
    let op = if desc {
        BinaryOperator::Lt
    } else {
        BinaryOperator::Gt
    };
    let condition = if order.len() == 1 {
        cmp(order[0].0.clone(), op, placeholder(&order[0].0))
    } else {
        cmp(
            Expr::Tuple(order.iter().map(|(e, _)| e.clone()).collect()),
            op,
            Expr::Tuple(order.iter().map(|(e, _)| placeholder(e)).collect()),
        )
    };
    select.selection = Some(match select.selection.take() {
        Some(existing) => and(Expr::Nested(Box::new(existing)), condition),
        None => condition,
    });
    if q.order_by.is_none() {
        return Some(format!(
            "{} ORDER BY id{}",
            without_offset(&mut q),
            match query.limit_clause.as_ref() {
                Some(LimitClause::LimitOffset { limit: Some(l), .. })
                | Some(LimitClause::OffsetCommaLimit { limit: l, .. }) => format!(" LIMIT {l}"),
                _ => String::new(),
            }
        ));
    }
    Some(without_offset(&mut q))
}

fn without_offset(q: &mut Query) -> String {
    q.limit_clause = match q.limit_clause.take() {
        Some(LimitClause::LimitOffset {
            limit, limit_by, ..
        }) => Some(LimitClause::LimitOffset {
            limit,
            offset: None,
            limit_by,
        }),
        Some(LimitClause::OffsetCommaLimit { limit, .. }) => Some(LimitClause::LimitOffset {
            limit: Some(limit),
            offset: None,
            limit_by: Vec::new(),
        }),
        None => None,
    };
    if q.order_by.is_none() {
        // The ORDER BY and LIMIT are appended by the caller, in that order.
        q.limit_clause = None;
    }
    q.to_string()
}

/// `phone = 13800138000`: a string column compared with a number converts every row.
fn implicit_conversions(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Some(catalog) = catalog else { return };
    let _ = visit_expressions(stmt, |expr: &Expr| {
        let pairs: Vec<(&Expr, &Expr)> = match expr {
            Expr::BinaryOp { left, op, right }
                if is_comparison(op) || *op == BinaryOperator::NotEq =>
            {
                vec![
                    (left.as_ref(), right.as_ref()),
                    (right.as_ref(), left.as_ref()),
                ]
            }
            Expr::In {
                expr: target,
                target: InTarget::List(list),
                ..
            } => list.iter().map(|v| (target.as_ref(), v)).collect(),
            _ => Vec::new(),
        };
        for (col, lit) in pairs {
            let Some((table, column)) = scope.column(col, catalog.into()) else {
                continue;
            };
            let Some(Value::Number(n, _)) = literal(lit) else {
                continue;
            };
            let Some(facts) = catalog.table(&table).and_then(|t| t.column(&column)) else {
                continue;
            };
            if !facts.is_text_like() {
                continue;
            }
            // Only this comparison's number is quoted (a LIMIT of the same value stays).
            let number = n.clone();
            let quoted = rewritten(stmt, expr, |e| {
                let mut e = e.clone();
                let _ = visit_expressions_mut(&mut e, |x: &mut Expr| {
                    if matches!(literal(x), Some(Value::Number(m, _)) if *m == number) {
                        *x = str_expr(number.clone());
                    }
                    ControlFlow::<()>::Continue(())
                });
                e
            });
            out.push(Finding {
                rule: Rule::ImplicitConversion,
                level: Level::Bad,
                table: Some(table.clone()),
                title: format!("{table}.{column} is {} but is compared with the number {n}", facts.data_type.to_uppercase()),
                why: "comparing a string column with a number converts every row's value to a number, so its index cannot be used (and '0138…' equals 138…)".into(),
                rewrite: Some(quoted),
                ddl: None,
            });
            return ControlFlow::<()>::Continue(());
        }
        ControlFlow::Continue(())
    });
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

/// `WHERE a = 1 OR b = 2`: one index cannot serve both sides.
fn or_across_columns(stmt: &Statement, scope: &Scope, out: &mut Vec<Finding>) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    let Some(selection) = &select.selection else {
        return;
    };
    for conj in conjuncts(selection) {
        let parts = disjuncts(conj);
        if parts.len() < 2 {
            continue;
        }
        let columns: Option<Vec<(String, String)>> =
            parts.iter().map(|p| predicate_column(p, scope)).collect();
        let Some(columns) = columns else { continue };
        let mut distinct = columns.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let others: Vec<&Expr> = conjuncts(selection)
            .into_iter()
            .filter(|c| !std::ptr::eq(*c, conj))
            .collect();
        let branch = |part: &Expr| -> SetExpr {
            let mut s: Select = select.as_ref().clone();
            let mut cond = part.clone();
            for o in others.iter().rev() {
                cond = and((*o).clone(), cond);
            }
            s.selection = Some(cond);
            SetExpr::Select(Box::new(s))
        };
        let mut body = branch(parts[0]);
        for part in &parts[1..] {
            body = SetExpr::SetOperation {
                left: Box::new(body),
                op: SetOperator::Union,
                set_quantifier: SetQuantifier::None,
                right: Box::new(branch(part)),
            };
        }
        let mut q = query.as_ref().clone();
        *q.body = body;
        let names: Vec<String> = distinct.iter().map(|(t, c)| format!("{t}.{c}")).collect();
        out.push(Finding {
            rule: Rule::OrAcrossColumns,
            level: Level::Warn,
            table: distinct.first().map(|(t, _)| t.clone()),
            title: format!("OR across {}", names.join(" and ")),
            why: "one index cannot serve an OR of different columns: the server scans, or merges indexes at best. A UNION lets each branch use its own index (UNION also removes duplicate rows)".into(),
            rewrite: Some(q.to_string()),
            ddl: None,
        });
    }
}

/// `SELECT *` from a table with TEXT/JSON columns reads them off-page for every row.
fn select_star_wide(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Some(catalog) = catalog else { return };
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    let star = select.projection.iter().any(|p| {
        matches!(
            p,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    });
    if !star {
        return;
    }
    for table in &scope.tables {
        let Some(facts) = catalog.table(table) else {
            continue;
        };
        let wide: Vec<&str> = facts
            .columns
            .iter()
            .filter(|c| c.is_wide())
            .map(|c| c.name.as_str())
            .collect();
        if wide.is_empty() {
            continue;
        }
        let rewrite = (scope.tables.len() == 1).then(|| {
            let mut q = query.as_ref().clone();
            if let SetExpr::Select(s) = q.body.as_mut() {
                s.projection = facts
                    .columns
                    .iter()
                    .filter(|c| !c.is_wide())
                    .map(|c| SelectItem::UnnamedExpr(Expr::Identifier(Ident::new(c.name.clone()))))
                    .collect();
            }
            q.to_string()
        });
        out.push(Finding {
            rule: Rule::SelectStarWide,
            level: Level::Warn,
            table: Some(table.clone()),
            title: format!("SELECT * reads {table}'s {} ({})", if wide.len() == 1 { "wide column" } else { "wide columns" }, wide.join(", ")),
            why: "TEXT and JSON values live off the row; reading them for every row costs I/O and memory, and stops any index from covering the query. Name the columns you need".into(),
            rewrite,
            ddl: None,
        });
    }
}

/// `SELECT …, (SELECT COUNT(*) FROM m WHERE m.c_id = c.id) FROM c`: the N+1 pattern inside
/// the server. Rewritten as one LEFT JOIN with GROUP BY.
fn dependent_count(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let Statement::Query(query) = stmt else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return;
    };
    for (i, item) in select.projection.iter().enumerate() {
        let (expr, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.clone())),
            _ => continue,
        };
        let Expr::Subquery(sub) = expr else { continue };
        let SetExpr::Select(inner) = sub.body.as_ref() else {
            continue;
        };
        let [SelectItem::UnnamedExpr(count)] = inner.projection.as_slice() else {
            continue;
        };
        let is_count =
            matches!(count, Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("count"));
        let [from] = inner.from.as_slice() else {
            continue;
        };
        let TableFactor::Table {
            name: inner_name,
            alias: inner_alias,
            ..
        } = &from.relation
        else {
            continue;
        };
        if !is_count || !from.joins.is_empty() {
            continue;
        }
        let inner_ref = inner_alias
            .as_ref()
            .map(|a| a.name.value.clone())
            .unwrap_or_else(|| last_part(inner_name));
        let Some(Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        }) = &inner.selection
        else {
            continue;
        };
        let refers_inner = |e: &Expr| matches!(e, Expr::CompoundIdentifier(p) if p.len() == 2 && p[0].value.eq_ignore_ascii_case(&inner_ref));
        let (inner_col, outer_col) = if refers_inner(left) {
            (left, right)
        } else if refers_inner(right) {
            (right, left)
        } else {
            continue;
        };
        let Expr::CompoundIdentifier(inner_parts) = inner_col.as_ref() else {
            continue;
        };
        let Some(outer_table) = scope.column(outer_col, catalog).map(|(t, _)| t) else {
            continue;
        };
        let [outer_from] = select.from.as_slice() else {
            continue;
        };
        let outer_ref = match &outer_from.relation {
            TableFactor::Table { alias: Some(a), .. } => a.name.value.clone(),
            TableFactor::Table { name, .. } => last_part(name),
            _ => continue,
        };
        let pk = catalog
            .and_then(|c| c.table(&outer_table))
            .map(|t| t.primary_key())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| vec!["id".into()]);
        let mut rewritten = select.as_ref().clone();
        let counted = Expr::Function(sqlparser::ast::Function {
            name: ObjectName::from(vec![Ident::new("COUNT")]),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(
                    inner_col.as_ref().clone(),
                ))],
                clauses: Vec::new(),
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: Vec::new(),
        });
        rewritten.projection[i] = match alias {
            Some(alias) => SelectItem::ExprWithAlias {
                expr: counted,
                alias,
            },
            None => SelectItem::UnnamedExpr(counted),
        };
        let mut join_from = outer_from.clone();
        join_from.joins.push(sqlparser::ast::Join {
            relation: from.relation.clone(),
            global: false,
            join_operator: JoinOperator::LeftOuter(JoinConstraint::On(cmp(
                inner_col.as_ref().clone(),
                BinaryOperator::Eq,
                outer_col.as_ref().clone(),
            ))),
        });
        rewritten.from = vec![join_from];
        rewritten.group_by = GroupByExpr::Expressions(
            pk.iter()
                .map(|c| {
                    Expr::CompoundIdentifier(vec![
                        Ident::new(outer_ref.clone()),
                        Ident::new(c.clone()),
                    ])
                })
                .collect(),
            Vec::new(),
        );
        let mut q = query.as_ref().clone();
        *q.body = SetExpr::Select(Box::new(rewritten));
        let inner_table = last_part(inner_name);
        let inner_column = inner_parts[1].value.clone();
        let ddl = catalog
            .and_then(|c| c.table(&inner_table))
            .filter(|t| !t.is_indexed(&inner_column))
            .map(|_| index_ddl(&inner_table, std::slice::from_ref(&inner_column)));
        out.push(Finding {
            rule: Rule::DependentSubquery,
            level: Level::Warn,
            table: Some(inner_table.clone()),
            title: format!("a COUNT over {inner_table} runs once per {outer_table} row (N+1)"),
            why: "a correlated subquery in the select list is evaluated for every outer row: the N+1 pattern inside the server. One LEFT JOIN with GROUP BY counts them all in a single pass".into(),
            rewrite: Some(q.to_string()),
            ddl,
        });
    }
}

/// Columns of `table` the statement compares with constants (for an index suggestion), in
/// the order equality first, then ranges.
fn filtered_columns(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    table: &str,
) -> Vec<String> {
    let mut eq = Vec::new();
    let mut range = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        let (col, is_eq) = match expr {
            Expr::BinaryOp { left, op, right } if is_comparison(op) => {
                let col = if literal(right).is_some() {
                    scope.column(left, catalog)
                } else if literal(left).is_some() {
                    scope.column(right, catalog)
                } else {
                    None
                };
                (col, *op == BinaryOperator::Eq)
            }
            Expr::In {
                expr,
                target: InTarget::List(_),
                negated: false,
                ..
            } => (scope.column(expr, catalog), true),
            Expr::Between {
                expr,
                negated: false,
                ..
            } => (scope.column(expr, catalog), false),
            _ => (None, false),
        };
        if let Some((t, c)) = col
            && t.eq_ignore_ascii_case(table)
        {
            let list = if is_eq { &mut eq } else { &mut range };
            if !list.contains(&c) {
                list.push(c);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    range.retain(|c| !eq.contains(c));
    eq.extend(range.into_iter().take(1));
    eq
}

/// Columns of `table` joined to another table by equality.
fn join_columns(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    table: &str,
) -> Vec<String> {
    let mut cols = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = expr
            && let (Some(a), Some(b)) = (scope.column(left, catalog), scope.column(right, catalog))
            && !a.0.eq_ignore_ascii_case(&b.0)
        {
            for (t, c) in [a, b] {
                if t.eq_ignore_ascii_case(table) && !cols.contains(&c) {
                    cols.push(c);
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    cols
}

fn plan_rules(
    plan: &Plan,
    stmt: Option<&Statement>,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    // Plans name tables by their alias (MariaDB, MySQL's tree); the statement knows which.
    let real = |name: &str| {
        scope
            .by_alias
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    };
    let size = |node: &super::plan::PlanNode| -> f64 {
        let table_rows = node
            .table
            .as_deref()
            .and_then(|t| catalog.and_then(|c| c.rows_of(&real(t))));
        table_rows.unwrap_or(0.0).max(node.rows.unwrap_or(0.0))
    };
    let has_function_finding = out.iter().any(|f| f.rule == Rule::FunctionOnIndexedColumn);
    let tables = plan.tables();
    for (position, node) in tables.iter().enumerate() {
        let table = real(node.table.as_deref().unwrap_or_default());
        let rows = size(node);
        let in_join = position > 0 || node.using_join_buffer;
        match node.access {
            Some(Access::FullScan) | Some(Access::IndexScan) if in_join && (node.using_join_buffer || node.access == Some(Access::FullScan)) && tables.len() > 1 => {
                let cols = stmt.map(|s| join_columns(s, scope, catalog, &table)).unwrap_or_default();
                let ddl = cols.first().filter(|c| !catalog.and_then(|k| k.table(&table)).is_some_and(|t| t.is_indexed(c))).map(|c| index_ddl(&table, std::slice::from_ref(c)));
                out.push(Finding {
                    rule: Rule::JoinWithoutIndex,
                    level: Level::Bad,
                    table: Some(table.clone()),
                    title: format!("{table} is joined with no usable index ({} rows read per outer row)", fmt_rows(node.rows.unwrap_or(rows))),
                    why: "without an index on the join column every row of the outer side reads this table in full (or fills a join buffer); an index makes it one lookup per row".into(),
                    rewrite: None,
                    ddl,
                });
            }
            Some(Access::FullScan) if rows >= BIG_TABLE_ROWS => {
                let cols = stmt.map(|s| filtered_columns(s, scope, catalog, &table)).unwrap_or_default();
                let facts = catalog.and_then(|c| c.table(&table));
                let ddl = (!cols.is_empty() && !facts.is_some_and(|t| t.has_index_leading(&cols))).then(|| index_ddl(&table, &cols));
                let hint = if has_function_finding {
                    "; a function on an indexed column is why (see below)"
                } else if ddl.is_none() && !cols.is_empty() {
                    "; an index exists, but the optimizer expects to read most of the table anyway"
                } else {
                    ""
                };
                out.push(Finding {
                    rule: Rule::FullScan,
                    level: Level::Bad,
                    table: Some(table.clone()),
                    title: format!("full scan of {table} ({} rows)", fmt_rows(rows)),
                    why: format!("every row of {table} is read and tested{hint}"),
                    rewrite: None,
                    ddl,
                });
            }
            Some(Access::IndexScan) if rows >= BIG_TABLE_ROWS => out.push(Finding {
                rule: Rule::FullScan,
                level: Level::Warn,
                table: Some(table.clone()),
                title: format!("full index scan of {table} ({} rows)", fmt_rows(rows)),
                why: format!("every entry of index `{}` is read: cheaper than the table, still proportional to its size", node.key.clone().unwrap_or_default()),
                rewrite: None,
                ddl: None,
            }),
            _ => {}
        }
        if stmt.is_none() {
            plan_condition_rules(node, &table, out);
        }
    }
    // A sort or temporary table over many rows.
    for node in plan.root.walk() {
        let sorts = node.kind == Some(NodeKind::Sort) || node.using_filesort;
        let temp = node.kind == Some(NodeKind::Temporary) || node.using_temporary;
        if !sorts && !temp {
            continue;
        }
        let rows = node
            .walk()
            .iter()
            .filter(|n| n.kind == Some(NodeKind::Table))
            .map(|n| size(n))
            .fold(0.0, f64::max);
        if rows < BIG_TABLE_ROWS || out.iter().any(|f| f.rule == Rule::FilesortOnBigResult) {
            continue;
        }
        let ddl = stmt.and_then(|s| sort_index(s, scope, catalog));
        out.push(Finding {
            rule: Rule::FilesortOnBigResult,
            level: Level::Warn,
            table: None,
            title: format!("{} over about {} rows", if sorts { "a filesort" } else { "a temporary table" }, fmt_rows(rows)),
            why: "the rows are collected and sorted (or grouped in a temporary table, on disk when large) before the first one is returned; an index in the ORDER BY / GROUP BY order returns them already sorted".into(),
            rewrite: None,
            ddl,
        });
    }
    for node in plan.root.walk() {
        if node.dependent && !out.iter().any(|f| f.rule == Rule::DependentSubquery) {
            out.push(Finding {
                rule: Rule::DependentSubquery,
                level: Level::Warn,
                table: node.walk().iter().find_map(|n| n.table.clone()),
                title: format!("{} is a dependent subquery", node.label),
                why: "it runs once per outer row (N+1 inside the server); a JOIN with GROUP BY does the same work in one pass".into(),
                rewrite: None,
                ddl: None,
            });
        }
    }
}

/// For a pasted plan there is no statement: read what the attached condition shows.
fn plan_condition_rules(node: &super::plan::PlanNode, table: &str, out: &mut Vec<Finding>) {
    let Some(cond) = node.condition.as_deref() else {
        return;
    };
    let lower = cond.to_ascii_lowercase();
    if lower.contains(" as date)")
        || lower.contains("date(")
        || lower.contains("year(")
        || lower.contains("cast(")
    {
        out.push(Finding {
            rule: Rule::FunctionOnIndexedColumn,
            level: Level::Bad,
            table: Some(table.to_owned()),
            title: format!("a function wraps a column of {table} in the condition"),
            why: format!("the condition `{cond}` computes a function of the column for every row, so no index on it can be used; compare the bare column with a range instead"),
            rewrite: None,
            ddl: None,
        });
    }
    if lower.contains("like '%") || lower.contains("like '_") {
        out.push(Finding {
            rule: Rule::LeadingWildcard,
            level: Level::Warn,
            table: Some(table.to_owned()),
            title: format!("a LIKE pattern on {table} starts with a wildcard"),
            why: "a pattern that starts with % or _ can only be checked row by row".into(),
            rewrite: None,
            ddl: None,
        });
    }
}

/// Equality columns then ORDER BY columns of a single-table query, as one index.
fn sort_index(stmt: &Statement, scope: &Scope, catalog: Option<&Catalog>) -> Option<String> {
    let Statement::Query(query) = stmt else {
        return None;
    };
    if scope.tables.len() != 1 {
        return None;
    }
    let table = &scope.tables[0];
    let mut cols = filtered_columns(stmt, scope, catalog, table);
    // Only equality columns may precede the sort columns.
    if let SetExpr::Select(s) = query.body.as_ref() {
        let eq_only: Vec<String> = s
            .selection
            .as_ref()
            .map(|w| {
                conjuncts(w)
                    .iter()
                    .filter_map(|c| match c {
                        Expr::BinaryOp {
                            op: BinaryOperator::Eq,
                            ..
                        } => predicate_column(c, scope).map(|(_, c)| c),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        cols.retain(|c| eq_only.contains(c));
    }
    for (e, _) in order_columns(query)? {
        if let Some((_, c)) = scope.column(&e, catalog)
            && !cols.contains(&c)
        {
            cols.push(c);
        }
    }
    let facts = catalog.and_then(|c| c.table(table));
    (!cols.is_empty() && !facts.is_some_and(|t| t.has_index_leading(&cols)))
        .then(|| index_ddl(table, &cols))
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
    use super::*;
    use crate::explain::catalog::{ColumnFacts, TableFacts};
    use crate::explain::guard::{Mode, check};
    use crate::schema::IndexShape;

    fn catalog() -> Catalog {
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

    fn findings(sql: &str) -> Vec<Finding> {
        let checked = check(sql, Mode::Explain).unwrap();
        let cat = catalog();
        lint(&LintInput {
            statement: Some(&checked.statement),
            plan: None,
            catalog: Some(&cat),
        })
    }

    fn rule(found: &[Finding], rule: Rule) -> &Finding {
        found
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("expected {rule:?} in {found:#?}"))
    }

    #[test]
    fn date_of_an_indexed_column_is_rewritten_as_a_half_open_range() {
        let found =
            findings("SELECT id, title FROM conversations WHERE DATE(created_at) = '2025-01-11'");
        let f = rule(&found, Rule::FunctionOnIndexedColumn);
        assert_eq!(
            f.rewrite.as_deref(),
            Some(
                "SELECT id, title FROM conversations WHERE created_at >= '2025-01-11 00:00:00' AND created_at < '2025-01-12 00:00:00'"
            )
        );
        // The rewrite passes the guard and no longer trips the rule.
        let again = findings(f.rewrite.as_deref().unwrap());
        assert!(
            again
                .iter()
                .all(|f| f.rule != Rule::FunctionOnIndexedColumn),
            "{again:#?}"
        );
    }

    #[test]
    fn date_ranges_and_years_map_to_ranges_too() {
        let between = findings(
            "SELECT id FROM conversations c WHERE DATE(c.created_at) BETWEEN '2025-02-27' AND '2025-02-28'",
        );
        assert!(
            rule(&between, Rule::FunctionOnIndexedColumn)
                .rewrite
                .as_deref()
                .unwrap()
                .contains(
                    "c.created_at >= '2025-02-27 00:00:00' AND c.created_at < '2025-03-01 00:00:00'"
                )
        );
        let year = findings("SELECT id FROM conversations WHERE YEAR(created_at) = 2024");
        assert!(
            rule(&year, Rule::FunctionOnIndexedColumn)
                .rewrite
                .as_deref()
                .unwrap()
                .contains(
                    "created_at >= '2024-01-01 00:00:00' AND created_at < '2025-01-01 00:00:00'"
                )
        );
        let flipped =
            findings("SELECT id FROM conversations WHERE '2025-01-11' < DATE(created_at)");
        assert!(
            rule(&flipped, Rule::FunctionOnIndexedColumn)
                .rewrite
                .as_deref()
                .unwrap()
                .contains("created_at >= '2025-01-12 00:00:00'")
        );
        // A function on an unindexed column is not this rule's business.
        assert!(
            findings("SELECT id FROM users WHERE LOWER(nickname) = 'a'")
                .iter()
                .all(|f| f.rule != Rule::FunctionOnIndexedColumn)
        );
    }

    #[test]
    fn deep_offset_becomes_keyset_with_the_order_kept() {
        let found = findings(
            "SELECT id, title FROM conversations WHERE user_id = 7 ORDER BY id DESC LIMIT 20 OFFSET 10000",
        );
        let f = rule(&found, Rule::DeepOffset);
        assert_eq!(
            f.rewrite.as_deref(),
            Some(
                "SELECT id, title FROM conversations WHERE (user_id = 7) AND id < :last_id ORDER BY id DESC LIMIT 20"
            )
        );
        let comma =
            findings("SELECT id FROM conversations ORDER BY last_message_at, id LIMIT 5000, 50");
        assert!(rule(&comma, Rule::DeepOffset).rewrite.as_deref().unwrap().contains("(last_message_at, id) > (:last_last_message_at, :last_id) ORDER BY last_message_at, id LIMIT 50"));
        assert!(
            findings("SELECT id FROM conversations LIMIT 20 OFFSET 40")
                .iter()
                .all(|f| f.rule != Rule::DeepOffset)
        );
    }

    #[test]
    fn a_phone_compared_with_a_number_is_an_implicit_conversion() {
        let found = findings("SELECT id FROM users WHERE phone = 13800138000");
        let f = rule(&found, Rule::ImplicitConversion);
        assert_eq!(
            f.rewrite.as_deref(),
            Some("SELECT id FROM users WHERE phone = '13800138000'")
        );
        let limited = findings("SELECT id FROM users WHERE phone = 20 LIMIT 20");
        assert_eq!(
            rule(&limited, Rule::ImplicitConversion).rewrite.as_deref(),
            Some("SELECT id FROM users WHERE phone = '20' LIMIT 20"),
            "only the comparison's number is quoted"
        );
        assert!(
            findings("SELECT id FROM users WHERE id = 13800138000")
                .iter()
                .all(|f| f.rule != Rule::ImplicitConversion)
        );
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
    fn the_n_plus_one_count_becomes_one_left_join() {
        let found = findings(
            "SELECT c.id, (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS messages FROM conversations c WHERE c.user_id = 42",
        );
        let f = rule(&found, Rule::DependentSubquery);
        let rewrite = f.rewrite.as_deref().unwrap();
        assert!(
            rewrite.contains("COUNT(m.conversation_id) AS messages"),
            "{rewrite}"
        );
        assert!(
            rewrite.contains("LEFT OUTER JOIN conversation_messages"),
            "{rewrite}"
        );
        assert!(rewrite.ends_with("GROUP BY c.id"), "{rewrite}");
        assert!(
            check(rewrite, Mode::Analyze).is_ok(),
            "the rewrite is itself explainable"
        );
    }

    #[test]
    fn plan_rules_flag_big_full_scans_and_joins_without_index() {
        use crate::explain::plan::parse;
        let plan = parse(r#"{"query_block": {"select_id": 1, "nested_loop": [
            {"table": {"table_name": "conversations", "access_type": "ALL", "rows": 300000, "filtered": 100, "attached_condition": "cast(conversations.created_at as date) = '2025-01-11'"}}]}}"#).unwrap();
        let cat = catalog();
        let found = lint(&LintInput {
            statement: None,
            plan: Some(&plan),
            catalog: None,
        });
        assert!(
            found
                .iter()
                .any(|f| f.rule == Rule::FullScan && f.level == Level::Bad),
            "{found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.rule == Rule::FunctionOnIndexedColumn),
            "the pasted plan's condition shows the function"
        );

        let sql = "SELECT u.id FROM conversations c JOIN users u ON u.nickname = c.title WHERE c.id < 100";
        let checked = check(sql, Mode::Explain).unwrap();
        let join = parse(r#"{"query_block": {"select_id": 1, "nested_loop": [
            {"table": {"table_name": "c", "access_type": "range", "key": "PRIMARY", "rows": 99, "filtered": 100}},
            {"block-nl-join": {"table": {"table_name": "u", "access_type": "ALL", "rows": 100000, "filtered": 100}, "buffer_type": "flat"}}]}}"#).unwrap();
        let found = lint(&LintInput {
            statement: Some(&checked.statement),
            plan: Some(&join),
            catalog: Some(&cat),
        });
        let f = rule(&found, Rule::JoinWithoutIndex);
        assert_eq!(
            f.ddl.as_deref(),
            Some("ALTER TABLE `users` ADD INDEX `idx_nickname` (`nickname`);")
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
