//! Sargability as one rule over the expression tree: a predicate whose column side is any
//! expression over an indexed column (a function, arithmetic, concatenation, CAST or CONVERT,
//! COLLATE) makes the server compute it for every row, so the column's index cannot be used;
//! so does a join of two columns of different kinds. Where a range on the bare column means
//! the same, that is the rewrite; otherwise the finding says what would help.

mod join;
mod rewrite;
#[cfg(test)]
mod tests;

use super::*;
use join::mismatched_join;
use rewrite::sargable;

/// One side of a predicate that wraps a column, and what it is compared with.
struct Side<'a> {
    wrapped: &'a Expr,
    /// The comparison as read from the wrapped side (`'a' < f(x)` is `f(x) > 'a'`).
    test: Test<'a>,
}

enum Test<'a> {
    Compare(BinaryOperator, &'a Expr),
    Between(&'a Expr, &'a Expr),
    /// IN (list), LIKE, NOT BETWEEN: flagged, never rewritten.
    Other(Vec<&'a Expr>),
}

impl Test<'_> {
    fn others(&self) -> Vec<&Expr> {
        match self {
            Test::Compare(_, o) => vec![*o],
            Test::Between(low, high) => vec![*low, *high],
            Test::Other(list) => list.clone(),
        }
    }
}

fn sides(expr: &Expr) -> Vec<Side<'_>> {
    match expr {
        Expr::BinaryOp { left, op, right }
            if is_comparison(op) || *op == BinaryOperator::Spaceship =>
        {
            let mut v = vec![Side {
                wrapped: left,
                test: Test::Compare(op.clone(), right),
            }];
            if let Some(flipped) = flip(op) {
                v.push(Side {
                    wrapped: right,
                    test: Test::Compare(flipped, left),
                });
            }
            v
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => vec![Side {
            wrapped: expr,
            test: if *negated {
                Test::Other(vec![low, high])
            } else {
                Test::Between(low, high)
            },
        }],
        Expr::In {
            expr,
            target: InTarget::List(list),
            negated: false,
            ..
        } => vec![Side {
            wrapped: expr,
            test: Test::Other(list.iter().collect()),
        }],
        Expr::Like {
            expr,
            pattern,
            negated: false,
            ..
        } => vec![Side {
            wrapped: expr,
            test: Test::Other(vec![pattern]),
        }],
        _ => Vec::new(),
    }
}

/// The columns of the statement's tables that an expression reads, as written; `None` when
/// it holds a subquery (its columns are another scope's).
fn columns_in<'a>(
    expr: &'a Expr,
    scope: &Scope,
    catalog: Option<&Catalog>,
) -> Option<Vec<(String, String, &'a Expr)>> {
    let mut found: Vec<(String, String, &'a Expr)> = Vec::new();
    let mut subquery = false;
    walk(expr, &mut |e| match e {
        Expr::Subquery(_)
        | Expr::Exists { .. }
        | Expr::In {
            target: InTarget::Subquery(_),
            ..
        } => {
            subquery = true;
            false
        }
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            // A word that names no column of these tables (`DAY` in TIMESTAMPDIFF) is not one.
            if let Some((t, c)) = scope.column(e, catalog).filter(|(t, c)| {
                catalog.is_none_or(|cat| cat.table(t).and_then(|f| f.column(c)).is_some())
            }) && !found
                .iter()
                .any(|(ft, fc, _)| ft.eq_ignore_ascii_case(&t) && fc.eq_ignore_ascii_case(&c))
            {
                found.push((t, c, e));
            }
            false
        }
        _ => true,
    });
    (!subquery).then_some(found)
}

/// Visits `expr` and its sub-expressions while `f` says to go deeper.
fn walk<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr) -> bool) {
    struct Walker<'f, F>(&'f mut F);
    impl<'a, F: FnMut(&'a Expr) -> bool> Walker<'_, F> {
        fn go(&mut self, e: &'a Expr) {
            if !(self.0)(e) {
                return;
            }
            match e {
                Expr::Nested(x)
                | Expr::UnaryOp { expr: x, .. }
                | Expr::Cast { expr: x, .. }
                | Expr::Convert { expr: x, .. }
                | Expr::Collate { expr: x, .. }
                | Expr::Extract { expr: x, .. }
                | Expr::Ceil { expr: x, .. }
                | Expr::Floor { expr: x, .. }
                | Expr::IsNull(x)
                | Expr::IsNotNull(x) => self.go(x),
                Expr::BinaryOp { left, right, .. } => {
                    self.go(left);
                    self.go(right);
                }
                Expr::Interval(i) => self.go(&i.value),
                Expr::Substring {
                    expr,
                    substring_from,
                    substring_for,
                    ..
                } => {
                    self.go(expr);
                    for x in [substring_from, substring_for].into_iter().flatten() {
                        self.go(x);
                    }
                }
                Expr::Trim { expr, .. } => self.go(expr),
                Expr::Position { expr, r#in } => {
                    self.go(expr);
                    self.go(r#in);
                }
                Expr::Case {
                    operand,
                    conditions,
                    else_result,
                    ..
                } => {
                    if let Some(o) = operand {
                        self.go(o);
                    }
                    for w in conditions {
                        self.go(&w.condition);
                        self.go(&w.result);
                    }
                    if let Some(x) = else_result {
                        self.go(x);
                    }
                }
                Expr::Function(func) => {
                    if let FunctionArguments::List(list) = &func.args {
                        for arg in &list.args {
                            let (FunctionArg::Unnamed(FunctionArgExpr::Expr(x))
                            | FunctionArg::Named {
                                arg: FunctionArgExpr::Expr(x),
                                ..
                            }) = arg
                            else {
                                continue;
                            };
                            self.go(x);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Walker(f).go(expr);
}

/// What wraps the column, in words a DBA uses.
fn wrapper(expr: &Expr) -> String {
    match expr {
        Expr::Nested(inner) => wrapper(inner),
        Expr::Function(f) => format!(
            "{}()",
            f.name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map_or_else(|| f.name.to_string(), |i| i.value.to_ascii_uppercase())
        ),
        Expr::Substring { .. } => "SUBSTRING()".into(),
        Expr::Trim { .. } => "TRIM()".into(),
        Expr::Ceil { .. } => "CEIL()".into(),
        Expr::Floor { .. } => "FLOOR()".into(),
        Expr::Extract { .. } => "EXTRACT()".into(),
        Expr::Cast { .. } => "CAST".into(),
        Expr::Convert { .. } => "CONVERT".into(),
        Expr::Collate { .. } => "COLLATE".into(),
        Expr::BinaryOp {
            op: BinaryOperator::StringConcat,
            ..
        } => "concatenation".into(),
        Expr::BinaryOp { .. } | Expr::UnaryOp { .. } => "arithmetic".into(),
        _ => "an expression".into(),
    }
}

/// The index a column leads, else one it is part of.
fn index_of(catalog: Option<&Catalog>, table: &str, column: &str) -> Option<String> {
    let facts = catalog?.table(table)?;
    let is = |c: &String| strip_prefix_len(c).eq_ignore_ascii_case(column);
    let btree = facts.indexes.iter().filter(|i| i.index_type != "FULLTEXT");
    btree
        .clone()
        .find(|i| i.columns.first().is_some_and(is))
        .or_else(|| btree.clone().find(|i| i.columns.iter().any(is)))
        .map(|i| i.name.clone())
}

/// "the index idx_created_at on conversations.created_at", as findings name it.
fn hides(catalog: Option<&Catalog>, table: &str, column: &str) -> String {
    match index_of(catalog, table, column) {
        Some(name) => format!("the index {name} on {table}.{column}"),
        None => format!("the index on {table}.{column}"),
    }
}

pub(super) fn hidden_indexes(
    stmt: &Statement,
    scope: &Scope,
    catalog: Option<&Catalog>,
    out: &mut Vec<Finding>,
) {
    let mut seen: Vec<String> = Vec::new();
    let _ = visit_expressions(stmt, |expr: &Expr| {
        if let Some((mut finding, replacement)) = wrapped_column(expr, scope, catalog, &mut seen) {
            finding.rewrite = replacement.map(|new| rewritten(stmt, expr, |_| new.clone()));
            out.push(finding);
        }
        mismatched_join(expr, scope, catalog, &mut seen, out);
        foreign_collation(expr, scope, catalog, &mut seen, out);
        ControlFlow::<()>::Continue(())
    });
}

/// The same rule over a pasted plan's attached condition (`cast(c.created_at as date) = …`):
/// no catalog says which columns are indexed, so the finding says "if".
pub(super) fn hidden_in_condition(condition: &str, table: &str, out: &mut Vec<Finding>) {
    let dialect = sqlparser::dialect::MySqlDialect {};
    let Ok(expr) = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(condition)
        .and_then(|mut p| p.parse_expr())
    else {
        return;
    };
    let scope = Scope::single(table);
    let mut seen = Vec::new();
    let mut found = Vec::new();
    walk(&expr, &mut |e| {
        if let Some((mut finding, _)) = wrapped_column(e, &scope, None, &mut seen) {
            finding.title = format!("{} (if it is indexed)", finding.title);
            found.push(finding);
        }
        true
    });
    out.extend(found);
}

/// A predicate whose column side wraps one column: its finding, and the same test on the bare
/// column where one exists.
fn wrapped_column(
    expr: &Expr,
    scope: &Scope,
    catalog: Option<&Catalog>,
    seen: &mut Vec<String>,
) -> Option<(Finding, Option<Expr>)> {
    for side in sides(expr) {
        if scope.column(side.wrapped, catalog).is_some() {
            continue; // a bare column: this rule's opposite
        }
        let Some(cols) = columns_in(side.wrapped, scope, catalog) else {
            continue;
        };
        let [(table, column, column_expr)] = cols.as_slice() else {
            continue;
        };
        let indexed = catalog
            .and_then(|c| c.table(table))
            .map(|t| t.is_indexed(column));
        if indexed == Some(false) || seen.contains(&expr.to_string()) {
            continue;
        }
        seen.push(expr.to_string());
        let others = side.test.others();
        // No column of these tables, and no subquery (`columns_in` is None for one).
        let constant = others
            .iter()
            .all(|o| columns_in(o, scope, catalog).is_some_and(|c| c.is_empty()));
        let replacement = if constant {
            sargable(side.wrapped, &side.test, column_expr)
        } else {
            None
        };
        let hides = hides(catalog, table, column);
        let remedy = if replacement.is_some() {
            "the same test on the bare column is a range the index serves".to_owned()
        } else {
            advice(side.wrapped, constant)
        };
        let finding = Finding {
            rule: Rule::HiddenIndex,
            level: Level::Bad,
            table: Some(table.clone()),
            title: format!("{} on {column} hides {hides}", wrapper(side.wrapped)),
            why: format!(
                "`{}` is computed for every row before it is compared, so {hides} cannot narrow the search: every row is read; {remedy}",
                side.wrapped
            ),
            ddl: None,
            index: None,
            rewrite: None,
        };
        return Some((finding, replacement));
    }
    None
}

/// `email LIKE 'A%' COLLATE utf8mb4_bin`: the literal's explicit collation wins, so the bare
/// column is compared in a collation its index is not sorted by.
fn foreign_collation(
    expr: &Expr,
    scope: &Scope,
    catalog: Option<&Catalog>,
    seen: &mut Vec<String>,
    out: &mut Vec<Finding>,
) {
    for side in sides(expr) {
        let Some((table, column)) = scope.column(side.wrapped, catalog) else {
            continue;
        };
        let Some(Expr::Collate { collation, .. }) = side.test.others().into_iter().next() else {
            continue;
        };
        let wanted = collation.to_string().trim_matches('`').to_ascii_lowercase();
        let facts = catalog.and_then(|c| c.table(&table));
        let own = facts
            .and_then(|t| t.column(&column))
            .and_then(|c| c.collation.clone());
        if own
            .as_deref()
            .is_some_and(|o| o.eq_ignore_ascii_case(&wanted))
            || facts.is_some_and(|t| !t.is_indexed(&column))
            || seen.contains(&expr.to_string())
        {
            continue;
        }
        seen.push(expr.to_string());
        let hides = hides(catalog, &table, &column);
        out.push(Finding {
            rule: Rule::HiddenIndex,
            level: Level::Bad,
            table: Some(table.clone()),
            title: format!("COLLATE {wanted} against {column} hides {hides}"),
            why: format!(
                "an explicit COLLATE wins over the column's own ({}), so every {column} is compared in {wanted} and {hides}, sorted in the column's collation, cannot narrow the search; compare in the column's collation, or give the column the collation the search needs",
                own.as_deref().unwrap_or("unknown")
            ),
            rewrite: None,
            ddl: None,
            index: None,
        });
        return;
    }
}

/// What helps when no range on the bare column is the same test.
fn advice(wrapped: &Expr, constant: bool) -> String {
    match wrapped {
        Expr::Nested(inner) => advice(inner, constant),
        Expr::Collate { .. } | Expr::Convert { charset: Some(_), .. } => "compare in the column's own collation and character set (convert the other side instead), or give the column the collation the search needs".into(),
        Expr::Cast { .. } | Expr::Convert { .. } => "cast the other side to the column's type instead, so the column is compared as it is stored".into(),
        _ if !constant => "the other side is not a constant, so no range can be moved across; join or compare on the bare column, or store the computed value in its own indexed column".into(),
        _ => "no range on the bare column means the same; if this search is common, index the expression itself: a generated column (`ADD COLUMN … AS (expression) VIRTUAL`) with an index on it".into(),
    }
}
