//! A function around an indexed column (`DATE(created_at) = …`, `YEAR(…)`, `LEFT(…)`)
//! hides the index: rewritten as the range on the bare column.

use super::*;

/// `DATE(col) = '2025-01-11'` and its kin: the function hides the index.
pub(super) fn functions_on_columns(
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

/// A range over the bare column equal to `func(col) op literal`, for the functions whose
/// inverse is a half-open interval of the column: DATE and YEAR.
pub(super) fn range_for(
    func: &str,
    column: &Expr,
    whole: &Expr,
    op: Option<&BinaryOperator>,
) -> Option<Expr> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

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
}
