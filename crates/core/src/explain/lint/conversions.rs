//! A string column compared with a number converts every row and loses the index.

use super::*;

/// `phone = 13800138000`: a string column compared with a number converts every row.
pub(super) fn implicit_conversions(
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
                index: None,
            });
            return ControlFlow::<()>::Continue(());
        }
        ControlFlow::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;

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
}
